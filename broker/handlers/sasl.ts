/**
 * SaslHandshake and SaslAuthenticate: the connection's Session (auth/session.ts) does the work. On a
 * listener without SASL both answer ILLEGAL_SASL_STATE, as Kafka's KafkaApis does.
 */
import type { RequestHandler } from '../context.js';
import { ApiKey } from '../protocol/api-keys.js';
import { decodeSaslAuthenticateRequest, decodeSaslHandshakeRequest, encodeSaslAuthenticateResponse, encodeSaslHandshakeResponse } from '../protocol/sasl.js';
import { simpleResponse } from '../response.js';

export const handleSaslHandshake: RequestHandler = async (ctx, header, r) => {
  const { mechanism } = decodeSaslHandshakeRequest(r);
  r.expectEnd('SaslHandshake');
  const resp = header.apiVersion === 0 ? ctx.session.refuseUnframedHandshake() : ctx.session.handshake(mechanism);
  return simpleResponse(ApiKey.SaslHandshake, header.apiVersion, header.correlationId, (w) => encodeSaslHandshakeResponse(w, resp));
};

export const handleSaslAuthenticate: RequestHandler = async (ctx, header, r) => {
  const { authBytes } = decodeSaslAuthenticateRequest(r, header.apiVersion);
  r.expectEnd('SaslAuthenticate');
  const outcome = await ctx.session.authenticate(authBytes);
  // session_lifetime_ms 0: no re-authentication is asked for (KIP-368)
  return simpleResponse(ApiKey.SaslAuthenticate, header.apiVersion, header.correlationId, (w) => encodeSaslAuthenticateResponse(w, header.apiVersion, { ...outcome, sessionLifetimeMs: 0 }));
};
