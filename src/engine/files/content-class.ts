// Content classes: whether a file's data is 'media' (large, written once,
// replaced whole: video, audio, images, archives, PDFs, slide decks) or
// 'text' (notes, documents and sources, edited through a course's life, and
// small images: previews). The two have different
// lifetimes, so their chunks go in different packs (pack lanes, see
// repo/blob-store.ts): a pack then moves to cold storage, or is pruned, as a
// whole, without early-deletion charges for data that lives longer or
// shorter than its neighbours. The placement policy file's "media" setting
// overrides the defaults (ContentClassOptions).

export type ContentClass = 'media' | 'text';

export interface ContentClassOptions {
  /** Extensions (without the dot, any case) that make a file media; replaces MEDIA_EXTENSIONS. */
  extensions?: string[];
  /** Files of at least this many bytes are media whatever their extension; replaces MEDIA_MIN_BYTES. */
  minBytes?: number;
  /** Images smaller than this are previews (thumbnails, figures in notes) and go with text; replaces PREVIEW_MAX_BYTES. */
  previewMaxBytes?: number;
}

/**
 * Extensions of media files: formats produced once and replaced whole
 * rather than edited, never kept as text history (so diff and blame never
 * read their old versions), and mostly large.
 * - video: mp4 mov mkv webm avi m4v; audio: mp3 wav m4a aac flac ogg;
 * - images: png jpg jpeg gif webp tif tiff psd heic (psd: layered
 *   originals, large and rarely re-saved once a course runs);
 * - archives and disk images: zip 7z rar tar gz tgz iso dmg (handed-out
 *   bundles and datasets);
 * - pdf: readings and exported handouts, published rather than edited;
 * - decks: pptx ppt key odp. They embed pictures and video, and are zip
 *   containers, so a small edit re-saves compressed streams and versions
 *   share few chunks: their history grows like media's.
 * Not listed: docx, odt, xlsx and other documents, small and edited through
 * the course (a large one is media by size).
 */
export const MEDIA_EXTENSIONS: readonly string[] = Object.freeze([
  'mp4', 'mov', 'mkv', 'webm', 'avi', 'm4v',
  'mp3', 'wav', 'm4a', 'aac', 'flac', 'ogg',
  'png', 'jpg', 'jpeg', 'gif', 'webp', 'tif', 'tiff', 'psd', 'heic',
  'zip', '7z', 'rar', 'tar', 'gz', 'tgz', 'iso', 'dmg',
  'pdf',
  'pptx', 'ppt', 'key', 'odp',
]);

/**
 * Files of this size or more are media whatever their extension: 8 MiB is
 * the largest file kept as text history (versions/content.ts TEXT_LIMIT), so
 * anything bigger is stored as chunks and versioned whole, as media is; and
 * at that size a file is mostly embedded pictures or recordings rather than
 * typed text.
 */
export const MEDIA_MIN_BYTES = 8 * 1024 * 1024;

/**
 * Images below this size are previews — thumbnails, slide renders, figures
 * embedded in notes — read with the text around them (course pages, diffs)
 * and small enough that an archive class's per-object overheads and
 * retrieval charges outweigh its cheaper storage: they go with text.
 */
export const PREVIEW_MAX_BYTES = 256 * 1024;

const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['png', 'jpg', 'jpeg', 'gif', 'webp', 'tif', 'tiff', 'heic']);

const DEFAULT_EXTENSIONS: ReadonlySet<string> = new Set(MEDIA_EXTENSIONS);

/** The content class of a file at `path` (folder-relative or absolute, '/' or '\\' separated) of `size` bytes. */
export function contentClass(path: string, size: number, options: ContentClassOptions = {}): ContentClass {
  if (size >= (options.minBytes ?? MEDIA_MIN_BYTES)) return 'media';
  const ext = extensionOf(path);
  if (ext === undefined) return 'text';
  const media = options.extensions ? new Set(options.extensions.map(normalize)) : DEFAULT_EXTENSIONS;
  if (!media.has(ext)) return 'text';
  return IMAGE_EXTENSIONS.has(ext) && size < (options.previewMaxBytes ?? PREVIEW_MAX_BYTES) ? 'text' : 'media';
}

/** Lower-case extension of the last path part; none for "name", "name." or a dot file such as ".mp4". */
function extensionOf(path: string): string | undefined {
  const name = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) return undefined;
  return name.slice(dot + 1).toLowerCase();
}

function normalize(ext: string): string {
  return ext.replace(/^\./, '').toLowerCase();
}
