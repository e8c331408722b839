// Open graphql-ws sockets by the API key that opened them, so that revoking a key ends its sockets: authentication
// happens once at connect, and without this a revoked key would keep receiving updates and running operations on a
// socket opened before the revocation.
import type { WebSocket } from 'ws';

/** graphql-ws's own close code for a refused connection. */
export const WS_FORBIDDEN = 4403;

export class WsKeySockets {
  private readonly byKey = new Map<string, Set<WebSocket>>();

  add(keyId: string, socket: WebSocket): void {
    const sockets = this.byKey.get(keyId) ?? new Set<WebSocket>();
    sockets.add(socket);
    this.byKey.set(keyId, sockets);
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0 && this.byKey.get(keyId) === sockets) this.byKey.delete(keyId);
    });
  }

  /** Closes every socket opened with one of `keyIds` (4403); returns how many. */
  closeKeys(keyIds: Iterable<string>): number {
    let closed = 0;
    for (const keyId of keyIds) {
      for (const socket of this.byKey.get(keyId) ?? []) {
        socket.close(WS_FORBIDDEN, 'Forbidden: API key revoked');
        closed += 1;
      }
      this.byKey.delete(keyId);
    }
    return closed;
  }
}
