// The one API: lookout.v1.Lookout over gRPC-Web, from the page's own origin.
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { Lookout } from "./gen/lookout/v1/lookout_pb";

const TOKEN_KEY = "lookout.token";

let token = sessionStorage.getItem(TOKEN_KEY) ?? "";

/** The bearer token in use ("" for none). */
export function currentToken(): string {
  return token;
}

export function setToken(t: string): void {
  token = t.trim();
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

const bearer: Interceptor = (next) => (req) => {
  if (token) req.header.set("authorization", `Bearer ${token}`);
  return next(req);
};

const transport = createGrpcWebTransport({
  baseUrl: location.origin,
  useBinaryFormat: true,
  interceptors: [bearer],
});

export const api = createClient(Lookout, transport);

/** The gRPC code of an error (Unknown for anything else). */
export function codeOf(e: unknown): Code {
  return e instanceof ConnectError ? e.code : Code.Unknown;
}

export function messageOf(e: unknown): string {
  if (e instanceof ConnectError) return e.rawMessage || Code[e.code];
  return e instanceof Error ? e.message : String(e);
}

export function isAbort(e: unknown): boolean {
  return codeOf(e) === Code.Canceled || (e instanceof DOMException && e.name === "AbortError");
}

export { Code };
