import type { Context } from './context.js';

export type Handler = (ctx: Context) => Promise<void>;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
}

/**
 * A route table. Patterns are paths with `{param}` segments; a `{param*}`
 * segment is greedy (image names contain slashes: /images/{name*}/json).
 */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, segments: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  /** The handler and params for a request, or why there is none. */
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | 'no-route' | 'bad-method' {
    const parts = path.split('/').filter(Boolean).map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
    let pathMatched = false;
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      pathMatched = true;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { handler: route.handler, params };
    }
    return pathMatched ? 'bad-method' : 'no-route';
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  const greedy = pattern.findIndex((s) => s.endsWith('*}'));
  if (greedy < 0) {
    if (pattern.length !== parts.length) return undefined;
    for (let i = 0; i < pattern.length; i++) if (!bind(pattern[i], parts[i], params)) return undefined;
    return params;
  }
  const after = pattern.length - greedy - 1;
  if (parts.length < pattern.length) return undefined;
  for (let i = 0; i < greedy; i++) if (!bind(pattern[i], parts[i], params)) return undefined;
  for (let i = 0; i < after; i++) {
    if (!bind(pattern[pattern.length - 1 - i], parts[parts.length - 1 - i], params)) return undefined;
  }
  params[pattern[greedy].slice(1, -2)] = parts.slice(greedy, parts.length - after).join('/');
  return params;
}

function bind(pattern: string, part: string, params: Record<string, string>): boolean {
  if (pattern.startsWith('{') && pattern.endsWith('}')) {
    params[pattern.slice(1, -1)] = part;
    return true;
  }
  return pattern === part;
}
