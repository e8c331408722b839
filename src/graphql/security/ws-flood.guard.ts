// A per-socket budget for every frame a graphql-ws client sends: protocol messages (ping and connection_init
// included, which graphql-ws answers before any authentication) and WebSocket-level pings alike. A socket past its
// budget is closed with 4429; nothing it sent afterwards is answered.
import type { WebSocket, WebSocketServer } from 'ws';

export interface WsFloodLimits {
  /** Sustained messages per second per socket. */
  perSecond: number;
  /** Messages a socket may send at once before the sustained rate applies. */
  burst: number;
}

export const WS_TOO_MANY_MESSAGES = 4429;

/**
 * Installs the budget on every socket `wsServer` accepts. Must be called before graphql-ws's `useServer`, so that
 * this listener runs first and can close the socket before graphql-ws answers the message that broke the budget.
 */
export function guardWsFlood(wsServer: WebSocketServer, limits: WsFloodLimits, now: () => number = Date.now): void {
  wsServer.on('connection', (socket: WebSocket) => {
    let tokens = limits.burst;
    let updatedAt = now();
    let closed = false;
    const spend = () => {
      if (closed) return;
      const t = now();
      tokens = Math.min(limits.burst, tokens + ((t - updatedAt) / 1000) * limits.perSecond);
      updatedAt = t;
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      closed = true;
      // graphql-ws's own listeners still see this frame; with the socket closing, nothing they send reaches the client.
      socket.close(WS_TOO_MANY_MESSAGES, 'Too many messages');
      // A client that keeps sending after the close frame gets its TCP connection cut.
      setTimeout(() => socket.terminate(), 1000).unref();
    };
    socket.prependListener('message', spend);
    socket.prependListener('ping', spend);
  });
}
