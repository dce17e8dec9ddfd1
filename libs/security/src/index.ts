export { DEV_SERVICES, initDevPki } from './pki';
export type { CertificatePaths, DevPki, DevPkiOptions } from './pki';
export {
  certificateAuthorityFromPem,
  createCertificateAuthority,
  keyMatchesCertificate,
  loadCertificateAuthority,
} from './certificate-authority';
export type { CertificateAuthority, CertificateAuthorityOptions } from './certificate-authority';
export { issueCertificate } from './issue-certificate';
export type { IssueCertificateOptions, IssuedCertificate } from './issue-certificate';
export {
  CERTIFICATE_FILE_MODE,
  PRIVATE_KEY_FILE_MODE,
  writeCertificateFiles,
  writeFileAtomic,
} from './pem-files';
export { matchSpiffeId, parseSpiffeId, serviceSpiffeId, validateSpiffeIdPattern } from './spiffe';
export type { SpiffeId } from './spiffe';
export { spiffeIdFromCertificate } from './certificate-identity';
export { parseSubjectAltNames } from './subject-alt-name';
export type { SubjectAltNameEntry } from './subject-alt-name';
export { describePrincipal, servicePrincipal } from './principal';
export type { Principal, ServicePrincipal, UserPrincipal } from './principal';
export {
  parseForwardedClientCert,
  parseForwardedClientCertElements,
} from './forwarded-client-cert';
export type { ForwardedClientCertElement } from './forwarded-client-cert';
