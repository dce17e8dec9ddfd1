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
export { PERMISSIONS, grantCovers } from './permissions';
export type { Permission } from './permissions';
export {
  DENY_ALL_POLICY_SOURCE,
  PolicyValidationError,
  loadPolicyFile,
  loadServicePolicy,
  parsePolicy,
} from './policy';
export type { Policy, PolicyBinding, PolicyIssue } from './policy';
export { bindingMatch, createAuthorizer } from './authorizer';
export type { Authorizer, Decision, ResourceRef } from './authorizer';
export { DEV_POLICY_YAML, devPolicyYaml } from './dev-policy';
export type { DevPolicyOptions } from './dev-policy';
export { DEFAULT_JWT_ALGORITHMS, bearerToken, createJwtVerifier } from './jwt';
export type { JwtVerifier, JwtVerifierOptions } from './jwt';
export {
  AUDIT_PERMISSIONS,
  EXPERIMENTS_PERMISSIONS,
  INFERENCE_PERMISSIONS,
  REGISTRY_PERMISSIONS,
} from './rpc-permissions';
