import { WebSocket } from 'ws';
import { CloseCode } from '../protocol/messages.js';

/**
 * `ws` closes an over-long message with 1009 and no reason; this says why, so a client's
 * close event explains itself. WebSocketServer builds its sockets from this class.
 */
export class ReasonedWebSocket extends WebSocket {
  override close(code?: number, reason?: string | Buffer): void {
    const tooBig = code === CloseCode.MessageTooBig && (reason === undefined || reason.length === 0);
    super.close(code, tooBig ? 'message too big' : reason);
  }
}
