// Pictures of a journey: `--format svg|mermaid|dot` on trace and explain, and the report's diagram.
import type { Picture } from './model.ts';
import { renderSvg } from './svg.ts';
import { renderDot, renderMermaid } from './text-formats.ts';

export type PictureFormat = 'svg' | 'mermaid' | 'dot';
export const PICTURE_FORMATS: readonly PictureFormat[] = ['svg', 'mermaid', 'dot'];

export async function renderPicture(picture: Picture, format: PictureFormat): Promise<string> {
  switch (format) {
    case 'svg':
      return renderSvg(picture);
    case 'mermaid':
      return renderMermaid(picture);
    case 'dot':
      return renderDot(picture);
    default: {
      const unhandled: never = format;
      return unhandled;
    }
  }
}

export { pictureOfTrace } from './from-trace.ts';
export type { Picture } from './model.ts';
