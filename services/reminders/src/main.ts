import { runMain } from '@careloop/service-kit';
import { remindersService } from './service';

runMain(remindersService);
