export { textMessage, listMessage, buttonsMessage, type MessageContent, type ListRowInput, type ListSectionInput, type ReplyButtonInput } from './content';
export { SkillResponder, recipientKey, type Addressee, type NotifyOptions, type SkillName, type TurnOutcome } from './skill-responder';
export { replyIdParts } from './reply-ids';
