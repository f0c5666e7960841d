import { describeInboxContract, memoryInboxBackend } from '@hsg/testing/contracts';

// The marker inbox without transactions (the shape of a MongoDB inbox), on in-memory markers.
describeInboxContract(memoryInboxBackend);
