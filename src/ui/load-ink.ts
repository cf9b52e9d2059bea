// Loads the Ink UI (ui/run.tsx: Ink, React, Yoga) without the cost of Node's fetch.
// Yoga (Ink's layout engine, yoga-layout 3) carries its WebAssembly as a base64 data: URL and
// reads it through fetch() whenever fetch is a function; Node's fetch is undici, whose first
// call loads and compiles undici itself: 40-70 ms of the UI's first frame (cpu-prof of
// `npm start`; importing yoga alone took 38-58 ms without fetch, 84-127 ms with it). Without
// fetch, Yoga decodes the same bytes with its own base64 fallback. podpath never calls fetch,
// and it is put back as soon as the module is in.
// (Starting this import while the dumps were read, to overlap the two, made the first frame
// later, not sooner: reading seed-flannel leaves little idle time to fill.)

/** Runs `load` (an import of a module that imports Ink) with globalThis.fetch hidden. */
export async function withoutFetch<T>(load: () => Promise<T>): Promise<T> {
  const fetch = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  if (fetch === undefined || !fetch.configurable) return load();
  Object.defineProperty(globalThis, 'fetch', { value: undefined, writable: true, enumerable: fetch.enumerable ?? false, configurable: true });
  try {
    return await load();
  } finally {
    Object.defineProperty(globalThis, 'fetch', fetch);
  }
}

/**
 * Imports the UI. React's production build, unless the user asked for another: the development
 * build checks and times every render (React's performance tracks), which made the UI's first
 * frame slower and, while a big capture was read, took a third of the UI's time.
 */
export function loadInteractiveUI(): Promise<typeof import('./run.tsx')> {
  process.env['NODE_ENV'] ??= 'production';
  return withoutFetch(() => import('./run.tsx'));
}
