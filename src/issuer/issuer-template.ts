import { AuthError } from '../base/errors.js';

/** The placeholder of a templated issuer (Microsoft Entra multi-tenant apps). */
export const TENANT_PLACEHOLDER = '{tenantid}';

/** An issuer URL with `{tenantid}` in it, split around the placeholder. @internal */
export interface IssuerTemplate {
  template: string;
  prefix: string;
  suffix: string;
  /** Tenant IDs accepted; `undefined`: every tenant whose own `iss` matches. */
  allowedTenantIds: ReadonlySet<string> | undefined;
}

/** Longest tenant ID read from an `iss`; Entra's are 36-character GUIDs. */
const MAX_TENANT_ID_LENGTH = 64;

/** The template of `issuerUrl`, or `undefined` when it names no tenant placeholder. @internal */
export function issuerTemplateOf(issuerUrl: string, allowedTenantIds: readonly string[] | undefined): IssuerTemplate | undefined {
  const at = issuerUrl.indexOf(TENANT_PLACEHOLDER);
  if (at === -1) return undefined;
  return {
    template: issuerUrl,
    prefix: issuerUrl.slice(0, at),
    suffix: issuerUrl.slice(at + TENANT_PLACEHOLDER.length),
    allowedTenantIds: allowedTenantIds === undefined ? undefined : new Set(allowedTenantIds),
  };
}

/**
 * Whether `iss` has the template's shape: its prefix, one path segment (no `/`, `?` or `#`),
 * its suffix. Only a shape: the token is accepted once its own `tid` fills the template to
 * exactly `iss` ({@link checkTemplatedIssuer}).
 * @internal
 */
export function matchesTemplate(template: IssuerTemplate, iss: string): boolean {
  const { prefix, suffix } = template;
  const middle = iss.length - prefix.length - suffix.length;
  if (middle < 1 || middle > MAX_TENANT_ID_LENGTH || !iss.startsWith(prefix) || !iss.endsWith(suffix)) return false;
  const tenant = iss.slice(prefix.length, prefix.length + middle);
  return !/[/?#]/.test(tenant);
}

/**
 * A templated issuer's token: its `iss` must be the template with `{tenantid}` replaced by its
 * own `tid` claim, and that tenant must be allowed when a list is given. A token of one tenant
 * naming another tenant's issuer is refused.
 * @throws {AuthError} `issuer_mismatch`
 * @internal
 */
export function checkTemplatedIssuer(template: IssuerTemplate, iss: string, claims: Readonly<Record<string, unknown>>): void {
  const { tid } = claims;
  if (typeof tid !== 'string' || tid === '' || `${template.prefix}${tid}${template.suffix}` !== iss) {
    throw new AuthError('issuer_mismatch', "the token's iss is not its own tenant's issuer (tid)");
  }
  if (template.allowedTenantIds !== undefined && !template.allowedTenantIds.has(tid)) {
    throw new AuthError('issuer_mismatch', "the token's tenant is not among the allowed tenants");
  }
}
