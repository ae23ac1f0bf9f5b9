/**
 * Explicit Allow statements on a principal's policy (used where no grant method matches the exact
 * actions), and cdk-nag acknowledgements that travel with the grant that needs them.
 */
import { Stack, Token, Validations } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

export function allow(grantee: IGrantable, actions: readonly string[], resources: readonly string[]): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: [...actions], resources: [...resources] }),
  );
}

/**
 * Allow on resources that end in a wildcard (an object prefix, every SES identity), and
 * acknowledge exactly those AwsSolutions-IAM5 findings on the principal, with the reason.
 */
export function allowWildcard(
  grantee: IGrantable,
  actions: readonly string[],
  resources: readonly string[],
  reason: string,
): void {
  allow(grantee, actions, resources);
  const principal = grantee.grantPrincipal as unknown as IConstruct;
  for (const resource of resources) {
    Validations.of(principal).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagRender(principal, resource)}]`,
      reason,
    });
  }
}

/** Render a (possibly tokenised) string as cdk-nag prints it: `<AWS::Region>`, `<Logical.Attr>`. */
export function nagRender(scope: IConstruct, value: string): string {
  if (!Token.isUnresolved(value)) return value;
  const render = (v: unknown): string => {
    if (typeof v === 'string') return v;
    const o = v as Record<string, unknown>;
    if ('Ref' in o) return `<${String(o.Ref)}>`;
    if ('Fn::GetAtt' in o) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(sep);
    }
    return JSON.stringify(v);
  };
  return render(Stack.of(scope).resolve(value));
}
