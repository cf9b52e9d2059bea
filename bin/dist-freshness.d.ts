/** Whether dist/ is at least as new as every file under src/ and package.json. */
export function compiledIsFresh(root: string): boolean;
