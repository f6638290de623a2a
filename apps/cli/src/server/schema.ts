// The request body of POST /v1/chat/completions as this server accepts it: the OpenAI chat-completions shape with
// text and image_url parts. Unknown top-level fields (user, n=1, logprobs=false ...) are ignored like OpenAI does.
import { z } from 'zod';

/** Messages one request may carry: more cannot fit any context we serve (each costs its chat-template tokens). */
export const MAX_MESSAGES = 1024;
/** Content parts (text and images) across one request's messages. */
export const MAX_CONTENT_PARTS = 4096;
/** JSON values (objects, arrays, strings, numbers ...) in one body: a legitimate request within the limits above has
 * fewer than 30000. */
export const MAX_JSON_VALUES = 32_768;
/** Characters of one stop string (they are also counted in the request's text). */
export const MAX_STOP_CHARS = 1000;

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const imagePart = z.object({
  type: z.literal('image_url'),
  image_url: z.union([z.string(), z.object({ url: z.string().min(1), detail: z.string().optional() })]),
});

/** One chat message: a role and a string, or text and image_url parts. */
export const chatMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.union([z.string(), z.array(z.discriminatedUnion('type', [textPart, imagePart])).min(1)]),
});

/** The body of POST /v1/chat/completions. */
export const chatCompletionRequestSchema = z.object({
  model: z.string().optional(),
  messages: z.array(chatMessageSchema).min(1),
  stream: z.boolean().optional(),
  max_tokens: z.number().int().positive().optional(),
  max_completion_tokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  seed: z.number().int().optional(),
  stop: z
    .union([z.string().min(1).max(MAX_STOP_CHARS), z.array(z.string().min(1).max(MAX_STOP_CHARS)).max(16)])
    .optional(),
  n: z.literal(1).optional(),
});

/** A request body that passed the schema. */
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;

/** A zod error as one line naming the JSON path of each problem, e.g. `messages[0].content: Invalid input`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path
        .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
        .join('');
      return `${path || '(body)'}: ${issue.message}`;
    })
    .join('; ');
}
