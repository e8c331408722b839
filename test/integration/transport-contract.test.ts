// The transport contract (transport.contract.ts) run against every mail transport Offload has.
import { agentmail, local, smtp } from '../helpers/transport.harness';
import { describeTransportContract } from './transport.contract';

for (const transport of [local, smtp, agentmail]) describeTransportContract(transport);
