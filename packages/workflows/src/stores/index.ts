export {
  type HistoryPhotoEntry,
  type HistoryPhotoIndex,
  historyPhotoEntrySchema,
  InMemoryHistoryPhotoIndex,
} from './history-photo-index.js';
export { InMemoryMailbox, type Mailbox, type MailboxMessage } from './mailbox.js';
