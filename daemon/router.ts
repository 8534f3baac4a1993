/**
 * The router: a table of (method, path pattern) → handler with two operations, `add` and `match`.
 * `match` tells "no such path" (404) apart from "path exists, wrong method" (405, with the allowed methods), and
 * both from "no route anywhere takes this method, nor is it one of HTTP's own" (501, RFC 9110 §9.1).
 * Patterns are literal segments, `:name` parameters and a final `*name` that takes the rest of the path
 * (`/static/*file` matches `/static/css/site.css` with `file = 'css/site.css'`); `/x` and `/x/` are the same route.
 * WeApRous kept routes in a dict keyed by `(method, path)` inside `weaprous.py`; this is that dict, grown up.
 */

export type Match<H> =
  | { kind: 'found'; handler: H; params: Record<string, string>; route: string }
  | { kind: 'not-found' }
  | { kind: 'method-not-allowed'; allow: string[] }
  | { kind: 'not-implemented'; implemented: string[] };

// The methods RFC 9110 §9 defines, and PATCH (RFC 5789): on a route that lacks one, a 405; any other method no
// route registers is one this server does not recognize, a 501 (RFC 9110 §9.1).
const STANDARD_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

interface Route<H> {
  segments: string[];
  /** The pattern as registered, `/channels/:name/`: which route answered, for `--trace`. */
  pattern: string;
  /** Static routes are looked up by exact path first, for speed. */
  hasParams: boolean;
  handlers: Map<string, H>;
}

/** `/channels/:name/` → ['channels', ':name'] */
function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

/** `routeKey(splitPath(path))` without splitting, for the usual `/a/b` and `/a/b/`; anything odder falls back. */
function quickKey(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function routeKey(segments: string[]): string {
  return '/' + segments.join('/');
}

export class Router<H> {
  private readonly routes: Route<H>[] = [];
  private readonly staticRoutes = new Map<string, Route<H>>();
  /** Every method some route registers. */
  private readonly methods = new Set<string>();

  /** Registers `handler` for `method` on `pattern`; throws if that exact pair is already taken. */
  add(method: string, pattern: string, handler: H): void {
    if (!pattern.startsWith('/')) throw new TypeError(`Route paths start with "/": ${pattern}`);
    const segments = splitPath(pattern);
    const key = routeKey(segments);
    let route = this.routes.find((r) => routeKey(r.segments) === key);
    if (!route) {
      const wildcard = segments.findIndex((s) => s.startsWith('*'));
      if (wildcard !== -1 && wildcard !== segments.length - 1) throw new TypeError(`"*" must be the last segment: ${pattern}`);
      route = { segments, pattern, hasParams: segments.some((s) => s.startsWith(':') || s.startsWith('*')), handlers: new Map() };
      this.routes.push(route);
      if (!route.hasParams) this.staticRoutes.set(key, route);
    }
    const upper = method.toUpperCase();
    if (route.handlers.has(upper)) throw new Error(`Route ${upper} ${pattern} is already registered`);
    route.handlers.set(upper, handler);
    this.methods.add(upper);
  }

  /** Finds the handler for `method` and a decoded `path`: `match('GET', '/channels/general/')`. */
  match(method: string, path: string): Match<H> {
    if (!STANDARD_METHODS.has(method) && !this.methods.has(method))
      return { kind: 'not-implemented', implemented: allowedMethods(this.methods) };
    let segments: string[] | null = null;
    const exact = this.staticRoutes.get(quickKey(path)) ?? this.staticRoutes.get(routeKey((segments = splitPath(path))));
    const handler = exact && handlerFor(exact, method);
    if (handler) return { kind: 'found', handler, params: {}, route: exact!.pattern };
    // Then the parameter routes: `POST /users/new` must not hide `GET /users/:id`.
    segments ??= splitPath(path);
    const allow = new Set<string>(exact ? allowedMethods(exact.handlers) : []);
    for (const route of this.routes) {
      const params = route.hasParams ? matchSegments(route.segments, segments) : null;
      if (!params) continue;
      const handler = handlerFor(route, method);
      if (handler) return { kind: 'found', handler, params, route: route.pattern };
      for (const m of allowedMethods(route.handlers)) allow.add(m);
    }
    return allow.size > 0 ? { kind: 'method-not-allowed', allow: [...allow].sort() } : { kind: 'not-found' };
  }
}

function matchSegments(pattern: string[], path: string[]): Record<string, string> | null {
  const rest = pattern.length > 0 && pattern[pattern.length - 1].startsWith('*');
  if (rest ? path.length < pattern.length - 1 : pattern.length !== path.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i].startsWith('*')) params[pattern[i].slice(1)] = path.slice(i).join('/');
    else if (pattern[i].startsWith(':')) params[pattern[i].slice(1)] = path[i];
    else if (pattern[i] !== path[i]) return null;
  }
  return params;
}

function handlerFor<H>(route: Route<H>, method: string): H | undefined {
  return route.handlers.get(method) ?? (method === 'HEAD' ? route.handlers.get('GET') : undefined);
}

function allowedMethods(registered: Map<string, unknown> | Set<string>): string[] {
  const methods = [...registered.keys()];
  if (methods.includes('GET') && !methods.includes('HEAD')) methods.push('HEAD');
  return methods.sort();
}
