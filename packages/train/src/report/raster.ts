import sharp from 'sharp';
import { writeFileAtomic } from '@dit/core';

/** Renders an SVG document to a PNG file (sharp/librsvg), written atomically. */
export async function writeSvgAsPng(svg: string, path: string): Promise<void> {
  const png = await sharp(Buffer.from(svg)).png().toBuffer();
  await writeFileAtomic(path, png);
}
