import type { Router } from 'express';

/** What express's router (the `router` package) keeps of each `use`, `get`, …: enough to ask what a path takes. */
interface RouterLayer {
  /** The part of `path` this layer matches, or false; throws on a malformed %-escape in a parameter. */
  match(path: string): { path: string } | false;
  /** Set on a route (`router.get(path, …)`): the methods it answers; `_all` for `router.all`. */
  route?: { methods: Record<string, boolean | undefined> };
  /** A mounted router (`app.use(router)`) has its own layers. */
  handle: { stack?: RouterLayer[] };
}

/**
 * The methods `router`'s routes answer for `path`, nested routers included (HEAD wherever GET is), read from
 * express's own route table so it cannot disagree with what is served. Empty for a path nothing serves.
 */
export function allowedMethods(router: Router, path: string): string[] {
  const methods = new Set<string>();
  const visit = (stack: readonly RouterLayer[], rest: string): void => {
    for (const layer of stack) {
      let matched: { path: string } | false;
      try {
        matched = layer.match(rest);
      } catch {
        continue;
      }
      if (!matched) continue;
      if (layer.route) {
        for (const [method, answers] of Object.entries(layer.route.methods))
          if (answers && method !== '_all') methods.add(method.toUpperCase());
      } else if (layer.handle.stack) {
        visit(layer.handle.stack, rest.slice(matched.path.length) || '/');
      }
    }
  };
  visit((router as unknown as { stack: RouterLayer[] }).stack, path);
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}
