import { runMain } from '@careloop/service-kit';
import { schedulingService } from './service';

runMain(schedulingService);
