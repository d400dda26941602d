/** One check of `tenantgate inspect`; `ok` is `null` when it could not be made. */
export interface Check {
  name: string;
  ok: boolean | null;
  detail: string;
  hint?: string;
}

/**
 * The verdict of `tenantgate inspect`: `incomplete` when the token passed every check that
 * was made but some could not be made (listed in `notChecked`).
 */
export interface Inspection {
  verdict: 'accepted' | 'rejected' | 'incomplete';
  /** True only when every check the service makes was made and passed. */
  accepted: boolean;
  /** The code of the refusal, when refused. */
  code?: string;
  notChecked: string[];
  checks: Check[];
}
