/** Publishing to an SMN topic. */
import { ResponseShapeError } from './errors.js';
import { CHECK_IAM_ACTIONS, IAM_ACTIONS } from './iam-actions.js';
import type { SignedClient } from './signed-client.js';

export interface SmnMessage {
  subject: string;
  /** Plain text for every protocol, or... */
  message?: string;
  /** ...one text per protocol; SMN requires the `default` key. */
  structure?: { default: string } & Record<string, string>;
}

export interface PublishReceipt {
  messageId: string;
  requestId: string | undefined;
}

/** The publish call of the monitor's `Publisher` port (`lib/monitor/ports.ts`). */
export class SmnClient {
  constructor(
    private readonly client: SignedClient,
    private readonly projectId: string,
    private readonly topicUrn: string,
  ) {}

  async publish(message: SmnMessage): Promise<PublishReceipt> {
    const api = IAM_ACTIONS.publish;
    const body: Record<string, string> = { subject: message.subject };
    // message_structure is a JSON *string* holding the per-protocol object, not a nested object.
    if (message.structure) body.message_structure = JSON.stringify(message.structure);
    else body.message = message.message ?? '';
    const { body: answer, requestId } = await this.client.request({
      api,
      method: 'POST',
      path: `/v2/${this.projectId}/notifications/topics/${this.topicUrn}/publish`,
      body,
    });
    const messageId = (answer as { message_id?: unknown } | null)?.message_id;
    if (typeof messageId !== 'string' || messageId === '') {
      throw new ResponseShapeError(`${api} answered without a message_id`, api);
    }
    return { messageId, requestId };
  }

  /** QueryTopicDetail (`vpcep-monitor check`): the topic's name and URN, or an ApiError (SMN.0006 when there is none). */
  async getTopic(): Promise<{ name: string; topicUrn: string }> {
    const api = CHECK_IAM_ACTIONS.getTopic;
    const { body } = await this.client.request({ api, method: 'GET', path: `/v2/${this.projectId}/notifications/topics/${this.topicUrn}` });
    const { name, topic_urn: topicUrn } = (body ?? {}) as { name?: unknown; topic_urn?: unknown };
    if (typeof name !== 'string' || typeof topicUrn !== 'string') throw new ResponseShapeError(`${api} answered without name and topic_urn`, api);
    return { name, topicUrn };
  }
}
