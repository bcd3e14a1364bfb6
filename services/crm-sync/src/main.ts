import { runMain } from '@careloop/service-kit';
import { crmSyncService } from './service';

runMain(crmSyncService);
