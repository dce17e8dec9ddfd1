import { z } from 'zod';
import { isVerdictError, InvalidArgumentError } from '@verdict/errors';
import { isKnownGrant } from './permissions';
import { validateSpiffeIdPattern } from './spiffe';

// Each `error` text below is what the policy error reports as "expected".

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const NAME_TEXT = "a name of letters, digits, '.', '-' and '_'";

const name = z.string({ error: NAME_TEXT }).regex(NAME, { error: NAME_TEXT });

const grant = z.string({ error: 'a permission string' }).refine(isKnownGrant, {
  error: "a known permission (see PERMISSIONS), '*', or a prefix wildcard such as 'model:*'",
});

const spiffePattern = z
  .string({ error: 'a SPIFFE ID or a SPIFFE ID followed by /*' })
  .superRefine((pattern, context) => {
    try {
      validateSpiffeIdPattern(pattern);
    } catch (error) {
      const expected =
        error instanceof InvalidArgumentError
          ? error.expected
          : isVerdictError(error)
            ? error.message
            : String(error);
      context.addIssue({ code: 'custom', message: `${expected} (optionally followed by /*)` });
    }
  });

const nonEmptyString = z.string({ error: 'a non-empty string' }).min(1, {
  error: 'a non-empty string',
});

const list = <T extends z.ZodType>(item: T, what: string) =>
  z.array(item, { error: `a list of ${what}` }).min(1, { error: `a non-empty list of ${what}` });

const binding = z
  .strictObject(
    {
      principals: list(spiffePattern, 'SPIFFE IDs or patterns').optional(),
      groups: list(nonEmptyString, 'group names').optional(),
      subjects: list(nonEmptyString, 'JWT subjects').optional(),
      roles: list(name, 'role names'),
      teams: list(name, 'team names').optional(),
    },
    { error: 'a binding: a mapping with roles and principals, groups or subjects' },
  )
  .refine(
    (value) =>
      value.principals !== undefined || value.groups !== undefined || value.subjects !== undefined,
    { error: 'at least one of principals, groups or subjects' },
  );

/** The policy document's shape, before cross-references are checked. */
export const policyDocumentSchema = z
  .strictObject(
    {
      roles: z.record(name, list(grant, 'permissions'), {
        error: 'a mapping from role names to lists of permissions',
      }),
      bindings: z.array(binding, { error: 'a list of bindings' }),
    },
    { error: 'a mapping with roles and bindings' },
  )
  .superRefine((document, context) => {
    const defined = Object.keys(document.roles);
    document.bindings.forEach((entry, index) => {
      entry.roles.forEach((role, roleIndex) => {
        if (!Object.hasOwn(document.roles, role)) {
          context.addIssue({
            code: 'custom',
            path: ['bindings', index, 'roles', roleIndex],
            message: `one of the roles defined under 'roles' (${defined.join(', ') || 'none'})`,
          });
        }
      });
    });
  });

/** The policy document as written in YAML. */
export type PolicyDocument = z.infer<typeof policyDocumentSchema>;
