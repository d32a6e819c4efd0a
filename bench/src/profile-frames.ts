// Names for the frames of V8 profiles (CPU profiles and sampled allocation profiles share the
// callFrame shape), used by profile-summary.ts and allocation-summary.ts.

/** A V8 profile node's call frame (Chrome DevTools protocol `Runtime.CallFrame`, the fields used). */
export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

/** A script URL without the pnpm store path, Parley's dist shown as `parley:`. */
export const shortUrl = (url: string): string =>
  url
    .replace(/^file:\/\//, '')
    .replace(/.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')
    .replace(/.*\/apps\/server\/dist\//, 'parley:');

/** `function file:line` for a frame. */
export const frameLabel = ({ callFrame }: { callFrame: CallFrame }): string =>
  `${callFrame.functionName || '(anonymous)'} ${shortUrl(callFrame.url)}:${callFrame.lineNumber + 1}`;

/** The npm package a frame runs in, `Parley`, a `node:` module, or V8's own `(garbage collector)` etc. */
export const packageOf = ({ callFrame }: { callFrame: CallFrame }): string => {
  const { url, functionName } = callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const match = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  if (url.includes('/apps/server/dist/')) return 'Parley';
  if (url.startsWith('node:')) return url.split('/')[0]!;
  return shortUrl(url);
};
