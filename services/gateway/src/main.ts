import { runMain } from '@careloop/service-kit';
import { gatewayService } from './service';

runMain(gatewayService);
