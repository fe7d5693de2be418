// VirtualList: a keyboard-navigable listbox that renders only the rows in view
// (@tanstack/react-virtual), for timelines of thousands of versions. Rows have
// one fixed height. Up/Down, PageUp/PageDown, Home/End move the active row;
// Enter or Space (or a click) selects it. The list's height is its container's,
// or `height` px when given (also what it assumes where nothing is laid out,
// e.g. under happy-dom in tests).

import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { defaultRangeExtractor, observeElementRect, useVirtualizer, type Range, type Rect, type Virtualizer } from '@tanstack/react-virtual';

export interface VirtualRowState {
  index: number;
  /** The row the keyboard is on. */
  active: boolean;
  /** The row `selectedKey` names. */
  selected: boolean;
}

export interface VirtualListProps<T> {
  items: readonly T[];
  /** Stable key of an item (also how `selectedKey` names one). */
  getKey: (item: T, index: number) => string;
  renderRow: (item: T, state: VirtualRowState) => ReactNode;
  /** Row height in px: every row has it. */
  rowHeight: number;
  /** Accessible name of the list. */
  label: string;
  selectedKey?: string;
  onSelect?: (item: T, index: number) => void;
  /** Height of the viewport in px; absent, it fills its container (give that a height). */
  height?: number;
  /** Rows rendered beyond each edge of the view. */
  overscan?: number;
  /** Start scrolled to the last row (newest at the bottom of a timeline). */
  startAtEnd?: boolean;
  className?: string;
}

export function VirtualList<T>({
  items,
  getKey,
  renderRow,
  rowHeight,
  label,
  selectedKey,
  onSelect,
  height,
  overscan = 8,
  startAtEnd = false,
  className,
}: VirtualListProps<T>) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const idPrefix = useId();
  const selectedIndex = selectedKey === undefined ? -1 : items.findIndex((item, index) => getKey(item, index) === selectedKey);
  const [activeIndex, setActiveIndex] = useState(() => (selectedIndex >= 0 ? selectedIndex : startAtEnd ? items.length - 1 : 0));
  // A new selection from outside moves the keyboard there too.
  const [followedKey, setFollowedKey] = useState(selectedKey);
  if (followedKey !== selectedKey) {
    setFollowedKey(selectedKey);
    if (selectedIndex >= 0) setActiveIndex(selectedIndex);
  }
  const active = items.length === 0 ? -1 : Math.min(Math.max(activeIndex, 0), items.length - 1);

  const observeRect = useCallback(
    (instance: Virtualizer<HTMLDivElement, Element>, report: (rect: Rect) => void) =>
      observeElementRect(instance, (rect) => report(rect.height > 0 || height === undefined ? rect : { width: rect.width, height })),
    [height],
  );

  // The active row is always rendered, so aria-activedescendant names an element
  // even before (or without) the scroll that brings it into view.
  const rangeExtractor = useCallback(
    (range: Range) => {
      const indexes = defaultRangeExtractor(range);
      if (active < 0 || indexes.includes(active)) return indexes;
      return [...indexes, active].sort((a, b) => a - b);
    },
    [active],
  );

  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    getItemKey: (index) => {
      const item = items[index];
      return item === undefined ? index : getKey(item, index);
    },
    overscan,
    rangeExtractor,
    initialRect: { width: 0, height: height ?? 0 },
    observeElementRect: observeRect,
    useFlushSync: false,
  });

  const startedAtEnd = useRef(false);
  useEffect(() => {
    if (!startAtEnd || startedAtEnd.current || items.length === 0) return;
    startedAtEnd.current = true;
    virtualizer.scrollToIndex(items.length - 1, { align: 'end' });
  }, [startAtEnd, items.length, virtualizer]);

  function moveTo(index: number): void {
    if (items.length === 0) return;
    const next = Math.min(Math.max(index, 0), items.length - 1);
    setActiveIndex(next);
    virtualizer.scrollToIndex(next, { align: 'auto' });
  }

  function select(index: number): void {
    const item = items[index];
    if (item !== undefined) onSelect?.(item, index);
  }

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>): void {
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight || height || rowHeight) / rowHeight) - 1);
    switch (event.key) {
      case 'ArrowDown':
        moveTo(active + 1);
        break;
      case 'ArrowUp':
        moveTo(active - 1);
        break;
      case 'PageDown':
        moveTo(active + page);
        break;
      case 'PageUp':
        moveTo(active - page);
        break;
      case 'Home':
        moveTo(0);
        break;
      case 'End':
        moveTo(items.length - 1);
        break;
      case 'Enter':
      case ' ':
        select(active);
        break;
      default:
        return;
    }
    event.preventDefault();
  }

  const optionId = (index: number): string => `${idPrefix}-option-${index}`;

  return (
    <div
      ref={scrollRef}
      role="listbox"
      aria-label={label}
      tabIndex={0}
      aria-activedescendant={active >= 0 ? optionId(active) : undefined}
      onKeyDown={onKeyDown}
      className={className}
      style={{ height: height ?? '100%', overflowY: 'auto', position: 'relative', outlineOffset: -2 }}
    >
      <div role="presentation" style={{ height: virtualizer.getTotalSize(), position: 'relative', width: '100%' }}>
        {virtualizer.getVirtualItems().map((row) => {
          const item = items[row.index];
          if (item === undefined) return null;
          const isActive = row.index === active;
          const isSelected = row.index === selectedIndex;
          return (
            <div
              key={row.key}
              id={optionId(row.index)}
              role="option"
              aria-selected={isSelected}
              aria-posinset={row.index + 1}
              aria-setsize={items.length}
              data-active={isActive || undefined}
              onClick={() => {
                setActiveIndex(row.index);
                select(row.index);
              }}
              style={{ position: 'absolute', top: 0, left: 0, width: '100%', height: rowHeight, transform: `translateY(${row.start}px)` }}
            >
              {renderRow(item, { index: row.index, active: isActive, selected: isSelected })}
            </div>
          );
        })}
      </div>
    </div>
  );
}
