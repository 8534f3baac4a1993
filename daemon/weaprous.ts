/**
 * The WeApRous application: routes registered with `addRoute` (or the `route` decorator), dispatched by
 * `handle(request)`, a plain function a test can call with no network. `prepareAddress` and `run` put it
 * on a socket through `backend.ts`. Ports WeApRous `daemon/weaprous.py` (class WeApRous).
 */

import { Router } from './router';
import { HttpError, statusText } from './status';
import { errorResponse, response, toResponse, wantsJson, type HandlerResult, type Response } from './response';
import type { Request } from './request';
import { parseQueryString } from './utils';
import { createBackend, type Backend, type BackendOptions } from './backend';
import { ErrorLog } from './errorlog';

export type Handler = (request: Request) => HandlerResult | Promise<HandlerResult>;

export interface RouteOptions {
  /** HTTP methods this handler answers; default `['GET']`. */
  methods?: string[];
}

export class WeApRous {
  private readonly router = new Router<Handler>();
  private ip = '0.0.0.0';
  private port = 8080;
  /**
   * Called with every error a handler throws that is not an `HttpError`; the client gets a generic 500. By
   * default printed to stderr, bounded (`errorlog.ts`): a client that makes a handler fail cannot flood the console.
   */
  onError: (error: unknown, request: Request) => void = (error, request) => this.errors.report(error, request);
  private readonly errors = new ErrorLog();

  /** The one way a route is registered: `app.addRoute('POST', '/login', handler)`. */
  addRoute(method: string | string[], path: string, handler: Handler): this {
    for (const m of Array.isArray(method) ? method : [method]) this.router.add(m.toUpperCase(), path, handler);
    return this;
  }

  /**
   * Registers a route, Flask style. As a TypeScript 5 (TC39) decorator on a class method:
   * `@app.route('/login', { methods: ['POST'] }) login(req: Request) { ... }`
   * (an instance method is registered, bound to its object, when the object is constructed; a static
   * method when the class is defined). As a plain call: `app.route('/hello')((req) => 'hi')`.
   * The older `experimentalDecorators` form is not supported: this project's tsconfig does not enable it.
   */
  route(path: string, options: RouteOptions = {}) {
    const methods = options.methods ?? ['GET'];
    return <H extends Handler>(handler: H, context?: ClassMethodDecoratorContext): H => {
      if (context === undefined) {
        this.addRoute(methods, path, handler);
        return handler;
      }
      // A TC39 method decorator runs before the method has a `this`; register once it does.
      const register = (self: unknown) => this.addRoute(methods, path, handler.bind(self));
      context.addInitializer(function (this: unknown) {
        register(this);
      });
      return handler;
    };
  }

  /** Where `run()` will listen. Ports `prepare_address(ip, port)`. */
  prepareAddress(ip: string, port: number): this {
    this.ip = ip;
    this.port = port;
    return this;
  }

  /** Starts listening and resolves once the socket is bound. Ports `run()`. */
  run(options: Partial<BackendOptions> = {}): Promise<Backend> {
    return createBackend(this.ip, this.port, (request) => this.handle(request), options);
  }

  /**
   * Answers one request: route it, decode its body, call the handler, turn the result into a `Response`.
   * Never throws: a bad body is a 400, a failing handler a 500.
   */
  handle(request: Request): Response | Promise<Response> {
    // `OPTIONS *` asks about the server, not a resource (RFC 9110 §9.3.7): yes, it is here.
    if (request.path === '*') return response(204);
    const match = this.router.match(request.method, request.path);
    if (match.kind === 'not-found') return errorResponse(404, `No route for ${request.path}`, wantsJson(request.headers.get('accept')));
    if (match.kind === 'not-implemented') {
      const reason = `${request.method} is not a method this server implements; it answers ${match.implemented.join(', ')}.`;
      return errorResponse(501, reason, wantsJson(request.headers.get('accept')));
    }
    if (match.kind === 'method-not-allowed') {
      const res = errorResponse(
        405,
        `${request.method} is not allowed on ${request.path}; use ${match.allow.join(', ')}.`,
        wantsJson(request.headers.get('accept')),
      );
      res.headers.set('Allow', match.allow.join(', '));
      return res;
    }
    request.params = match.params;
    request.route = match.route;
    const decoded = decodeBody(request);
    if (decoded) return decoded;
    try {
      const result = match.handler(request);
      if (isThenable(result)) {
        // One catch for both a rejection and a result toResponse cannot send (a function, a BigInt).
        return Promise.resolve(result)
          .then(toResponse)
          .catch((error) => this.fromError(error, request));
      }
      return toResponse(result);
    } catch (error) {
      return this.fromError(error, request);
    }
  }

  private fromError(error: unknown, request: Request): Response {
    if (error instanceof HttpError) {
      const res = errorResponse(
        error.status,
        error.expose ? error.message : statusText(error.status),
        wantsJson(request.headers.get('accept')),
      );
      for (const [name, value] of Object.entries(error.headers)) res.headers.set(name, value);
      return res;
    }
    this.onError(error, request);
    return errorResponse(500, 'Internal Server Error', wantsJson(request.headers.get('accept')));
  }
}

/** A Promise, or any object with a `then` method (a promise from another library): await it, never send it as JSON. */
function isThenable(value: unknown): value is PromiseLike<HandlerResult> {
  return (
    value instanceof Promise || (typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function')
  );
}

/** Fills `request.json` or `request.form` from the body; returns a 400 when the body does not parse. */
function decodeBody(request: Request): Response | null {
  if (request.body.length === 0) return null;
  const type = (request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) {
    try {
      request.json = JSON.parse(request.body.toString('utf8'));
    } catch (error) {
      return errorResponse(400, `The body is not valid JSON: ${(error as Error).message}`);
    }
  } else if (type === 'application/x-www-form-urlencoded') {
    const form = parseQueryString(request.body.toString('utf8'));
    if (!form) return errorResponse(400, 'The form body has invalid percent-encoding.');
    request.form = form;
  }
  return null;
}
