import { runMain } from '@careloop/service-kit';
import { triageService } from './service';

runMain(triageService);
