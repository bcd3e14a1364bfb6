import { runMain } from '@careloop/service-kit';
import { routingService } from './service';

runMain(routingService);
