import { generateBuckets, type Bucket } from '@dit/data';
import { CliError, EXIT } from './errors.js';

// Text encoders and autoencoders from specs (`random:tiny`, `pixel:4`, hub ids, folders) are @dit/pipeline's.
export { loadAutoencoder, loadTextEncoder } from '@dit/pipeline';

/**
 * Buckets from a spec: `original` (512x512, 384x640, 640x384), a list `WxH,WxH,...`, or
 * `area:<pixels>[:<alignment>]` for the area-preserving generator.
 */
export function parseBuckets(spec: string): Bucket[] | undefined {
  if (spec === 'original') return undefined;
  const area = /^area:(\d+)(?::(\d+))?$/.exec(spec);
  if (area) return generateBuckets({ targetArea: Number(area[1]), alignment: area[2] ? Number(area[2]) : undefined });
  return spec.split(',').map((item) => {
    const match = /^(\d+)x(\d+)$/.exec(item.trim());
    if (!match) throw new CliError(`--buckets: '${item}' is not WIDTHxHEIGHT (or use 'original' / 'area:262144')`, EXIT.usage);
    return { width: Number(match[1]), height: Number(match[2]) };
  });
}
