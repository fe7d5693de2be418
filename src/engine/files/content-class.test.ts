// Content classes: media by extension (any case, last extension only) or by
// size, text otherwise; options replace the extension list and threshold.
import { describe, expect, it } from 'vitest';
import { contentClass, MEDIA_EXTENSIONS, MEDIA_MIN_BYTES } from './content-class';

const MiB = 1024 * 1024;

describe('contentClass', () => {
  it('makes video, audio, images, archives, PDFs and decks media, whatever the case of the extension', () => {
    for (const path of ['week1/lecture.mp4', 'a/b/Clip.MOV', 'talk.webm', 'song.mp3', 'take.WAV', 'fig.png', 'photo.JPEG', 'scan.tiff',
      'cover.psd', 'IMG_0001.HEIC', 'data.zip', 'bundle.tar.gz', 'disc.iso', 'C:\\course\\intro.m4v', 'reading.pdf', 'slides.pptx', 'talk.key']) {
      expect(contentClass(path, 300 * 1024), path).toBe('media');
    }
  });

  it('keeps small images (previews, thumbnails, figures) with text; large ones are media', () => {
    expect(contentClass('thumbs/week1.png', 40 * 1024)).toBe('text');
    expect(contentClass('figures/diagram.JPG', 255 * 1024)).toBe('text');
    expect(contentClass('figures/diagram.JPG', 256 * 1024)).toBe('media');
    expect(contentClass('tiny.mp4', 1000)).toBe('media'); // only images count as previews
    expect(contentClass('fig.png', 100 * 1024, { previewMaxBytes: 64 * 1024 })).toBe('media');
  });

  it('keeps notes, documents and sources text below the size threshold', () => {
    for (const path of ['notes.md', 'lesson.txt', 'syllabus.docx', 'grades.xlsx', 'essay.odt', 'main.py', 'Makefile', 'data.csv']) {
      expect(contentClass(path, 1000), path).toBe('text');
    }
  });

  it('uses only the last part of the path, and needs a real extension', () => {
    expect(contentClass('videos.mp4/readme.md', 10)).toBe('text'); // a folder's name is not the file's
    expect(contentClass('.mp4', 10)).toBe('text'); // a dot file has no extension
    expect(contentClass('clip.', 10)).toBe('text');
    expect(contentClass('mp4', 10)).toBe('text');
    expect(contentClass('movie.mp4.md', 10)).toBe('text');
  });

  it('makes large files media by size alone, from the threshold on', () => {
    expect(MEDIA_MIN_BYTES).toBe(8 * MiB);
    expect(contentClass('thesis.docx', MEDIA_MIN_BYTES - 1)).toBe('text');
    expect(contentClass('thesis.docx', MEDIA_MIN_BYTES)).toBe('media');
    expect(contentClass('dump', 50 * MiB)).toBe('media');
  });

  it('lets options replace the extensions and the threshold', () => {
    expect(contentClass('syllabus.docx', 10, { extensions: ['.DOCX', 'mp4'] })).toBe('media');
    expect(contentClass('fig.png', 10, { extensions: ['pdf'] })).toBe('text'); // replaced, not added to
    expect(contentClass('notes.md', 2 * MiB, { minBytes: MiB })).toBe('media');
    expect(contentClass('notes.md', 20 * MiB, { minBytes: 100 * MiB })).toBe('text');
    expect(contentClass('clip.mp4', 10, { minBytes: 100 * MiB })).toBe('media'); // the default list still applies
  });

  it('lists extensions in lower case without dots, each once', () => {
    for (const ext of MEDIA_EXTENSIONS) expect(ext).toMatch(/^[a-z0-9]+$/);
    expect(new Set(MEDIA_EXTENSIONS).size).toBe(MEDIA_EXTENSIONS.length);
  });
});
