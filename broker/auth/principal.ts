/**
 * Principals as Kafka names them (KafkaPrincipal "User:NAME"): the SASL username, or for a TLS
 * client certificate its subject DN in RFC 2253 form, as Kafka's DefaultKafkaPrincipalBuilder
 * gives it with ssl.principal.mapping.rules=DEFAULT (X500Principal.getName(): the most specific
 * RDN first, "CN=app,OU=eng,O=example,C=US"). A connection with neither is "User:ANONYMOUS".
 */
import type { X509Certificate } from 'node:crypto';

export const ANONYMOUS = 'User:ANONYMOUS';

export function userPrincipal(name: string): string {
  return `User:${name}`;
}

/**
 * RFC 2253 form of a certificate subject. Node prints the subject one RDN a line in the
 * certificate's order (least specific first) with values already escaped as RFC 2253 says
 * (ASN1_STRFLGS_ESC_2253); RFC 2253 lists them the other way round, joined with ','.
 */
export function subjectDn(cert: X509Certificate): string {
  return cert.subject
    .split('\n')
    .filter((rdn) => rdn !== '')
    .reverse()
    .join(',');
}
