// Regenerates examples/demo/data from the original 200-flower dataset (dev only):
//   node examples/demo/scripts/make-data.mjs /path/to/flowers-200
// Two images of each of the ten species, downscaled to 80 px on the long side (Lanczos,
// aspect kept), with their captions. The demo trains on these offline.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const source = process.argv[2];
if (!source) throw new Error('usage: node examples/demo/scripts/make-data.mjs <flowers-200 folder>');
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'data');
mkdirSync(out, { recursive: true });
// The dataset holds 10 species x 20 images, numbered 1-200 by species.
const stems = Array.from({ length: 10 }, (_, species) => [species * 20 + 1, species * 20 + 2]).flat();
for (const stem of stems) {
  await sharp(join(source, `${stem}.png`)).resize(80, 80, { fit: 'inside', kernel: 'lanczos3' }).png().toFile(join(out, `${stem}.png`));
  copyFileSync(join(source, `${stem}.txt`), join(out, `${stem}.txt`));
}
console.log(`wrote ${stems.length} images to ${out}`);
