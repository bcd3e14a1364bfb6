import { runMain } from '@careloop/service-kit';
import { analyticsService } from './service';

runMain(analyticsService);
