import { registerHooks, type ResolveFnOutput } from 'node:module';

/**
 * Resolves drizzle-orm's modules without Node re-reading its package.json each time. Node 24 reads a package's
 * `exports` map anew for each ESM `.js` file it loads from it and for each bare import of it, and
 * drizzle-orm's map holds 447 entries: its ~110 files and our ~60 imports of it cost about 1 s of start-up
 * and left ~120 MB more resident for good (a server idle at 278 MB RSS instead of about 150 MB). Inside
 * drizzle-orm a relative specifier is a plain URL join and its package type makes every `.js` ESM; a bare
 * import of it resolves the same from every file of ours, so once is enough. A hook only sees modules resolved
 * after it is registered: the CLI imports this first and loads each command's code with import().
 */
const resolved = new Map<string, ResolveFnOutput>();

registerHooks({
  resolve(specifier, context, nextResolve) {
    const parent = context.parentURL ?? '';
    const inside = parent.split('/node_modules/');
    // Only drizzle-orm's own files, not a package nested in its node_modules.
    if (inside.length === 2 && inside[1]!.startsWith('drizzle-orm/') && (specifier.startsWith('./') || specifier.startsWith('../')) && specifier.endsWith('.js')) {
      return { url: new URL(specifier, parent).href, format: 'module', shortCircuit: true };
    }
    // Only from our own files: a package's own nested copy of drizzle-orm would resolve elsewhere.
    if (inside.length === 1 && (specifier === 'drizzle-orm' || specifier.startsWith('drizzle-orm/'))) {
      // Some Node versions hand require()'s conditions over as a Set.
      const key = `${specifier} ${[...context.conditions].join()}`;
      let result = resolved.get(key);
      if (!result) resolved.set(key, (result = nextResolve(specifier, context)));
      return { ...result, shortCircuit: true };
    }
    return nextResolve(specifier, context);
  },
});
