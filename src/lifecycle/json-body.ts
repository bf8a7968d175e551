/**
 * The one body parser: application/json (UTF-8) only, within the JSON budget before JSON.parse,
 * so that no body the size limit lets in can hold the event loop for long.
 */
import { WebhookError } from '../errors.ts';
import { jsonBudgetProblem, type JsonBudget } from './json-budget.ts';

type Done = (error: Error | null, body?: unknown) => void;

/** What the parser reads of the request: only its Content-Type. */
interface WithHeaders {
  readonly headers: { readonly 'content-type'?: string | undefined };
}

export function jsonBodyParser(budget: JsonBudget): (request: WithHeaders, body: Buffer, done: Done) => void {
  return (request, body, done) => {
    const problem = bodyProblem(request.headers['content-type'] ?? '', body, budget);
    if (problem !== undefined) {
      done(problem);
      return;
    }
    try {
      done(null, JSON.parse(body.toString('utf8')));
    } catch (error) {
      done(new WebhookError('BODY_NOT_JSON', error instanceof SyntaxError ? error.message.slice(0, 200) : 'cannot parse'));
    }
  };
}

function bodyProblem(contentType: string, body: Buffer, budget: JsonBudget): WebhookError | undefined {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/iu.exec(contentType)?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
    return new WebhookError('MEDIA_TYPE', JSON.stringify(contentType.slice(0, 100)));
  if (body.length === 0) return new WebhookError('BODY_EMPTY');
  const problem = jsonBudgetProblem(body, budget);
  if (problem === undefined) return undefined;
  return new WebhookError(problem.exceeded === 'depth' ? 'BODY_NOT_REVIEW' : 'BODY_TOO_COMPLEX', problem.message);
}
