// The unlocked app: header (catalog status, repository, Lock), the main
// navigation and the screen it points at. Rendered inside <CatalogProvider>.

import { useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { useCatalogStatus } from '../catalog';
import { ActivityScreen } from './Activity';
import { CoursesScreen } from './Courses';
import { DashboardScreen } from './Dashboard';
import { FileHistoryScreen } from './FileHistory';
import { PointInTimeScreen } from './PointInTime';
import { SettingsScreen } from './Settings';
import { formatShortTime } from './time';
import './screens.css';

export type ScreenName = 'dashboard' | 'courses' | 'history' | 'point-in-time' | 'activity' | 'settings';

const screens: { name: ScreenName; label: string }[] = [
  { name: 'dashboard', label: 'Dashboard' },
  { name: 'courses', label: 'Courses' },
  { name: 'history', label: 'File history' },
  { name: 'point-in-time', label: 'Point in time' },
  { name: 'activity', label: 'Activity' },
  { name: 'settings', label: 'Settings' },
];

export function CatalogStatusBadge() {
  const status = useCatalogStatus();
  const synced = status.lastSynced ? `Last updated ${formatShortTime(status.lastSynced)}` : undefined;
  let badge;
  switch (status.state) {
    case 'offline':
      badge = (
        <span className="badge badge-warning" title={status.error}>
          Offline
        </span>
      );
      break;
    case 'updating':
      badge = <span className="badge badge-muted">Updating…</span>;
      break;
    case 'loading':
      badge = <span className="badge badge-muted">Loading history…</span>;
      break;
    default:
      badge = <span className="badge">Up to date</span>;
  }
  return (
    <span className="catalog-status" role="status" aria-label="Catalog status">
      {badge}
      {status.state === 'offline' && (
        <span className="hint catalog-status-detail">
          {status.error ? `${status.error} ` : ''}
          {synced ? `${synced}.` : ''}
        </span>
      )}
    </span>
  );
}

export function Shell({
  header,
  initialScreen = 'dashboard',
  notice,
}: {
  /** Brand, repository and Lock, rendered by App. */
  header: ReactNode;
  initialScreen?: ScreenName;
  /** Above the screen: getting-started steps, a lock error. */
  notice?: ReactNode;
}) {
  const [screen, setScreen] = useState<ScreenName>(initialScreen);
  const [course, setCourse] = useState<string>();
  const nav = useRef<HTMLElement>(null);
  const main = useRef<HTMLElement>(null);

  // Arrow keys move between the navigation's buttons (Tab still works).
  function navKey(event: KeyboardEvent<HTMLElement>) {
    const buttons = [...(nav.current?.querySelectorAll<HTMLButtonElement>('button') ?? [])];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0) return;
    let next: number | undefined;
    if (event.key === 'ArrowRight' || event.key === 'ArrowDown') next = (at + 1) % buttons.length;
    else if (event.key === 'ArrowLeft' || event.key === 'ArrowUp') next = (at - 1 + buttons.length) % buttons.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = buttons.length - 1;
    if (next === undefined) return;
    event.preventDefault();
    buttons[next]?.focus();
  }

  let content;
  switch (screen) {
    case 'dashboard':
      content = <DashboardScreen />;
      break;
    case 'courses':
      content = (
        <CoursesScreen
          onOpenHistory={(id) => {
            setCourse(id);
            setScreen('history');
          }}
        />
      );
      break;
    case 'history':
      content = <FileHistoryScreen course={course} onCourseChange={setCourse} />;
      break;
    case 'point-in-time':
      content = <PointInTimeScreen course={course} onCourseChange={setCourse} />;
      break;
    case 'activity':
      content = <ActivityScreen />;
      break;
    case 'settings':
      content = <SettingsScreen />;
      break;
  }

  return (
    <div className="app app-shell">
      <a className="skip-link" href="#main" onClick={() => main.current?.focus()}>
        Skip to content
      </a>
      {header}
      <nav ref={nav} className="main-nav" aria-label="Main" onKeyDown={navKey}>
        <ul>
          {screens.map((item) => (
            <li key={item.name}>
              <button
                type="button"
                aria-current={screen === item.name ? 'page' : undefined}
                onClick={() => setScreen(item.name)}
              >
                {item.label}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={main} tabIndex={-1}>
        {notice}
        {content}
      </main>
    </div>
  );
}
