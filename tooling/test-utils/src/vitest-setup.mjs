// Runs before every test file: fast-check properties use a fixed seed so CI is deterministic
// (every random thing takes a seed). Explore other seeds with FC_SEED=<n>, or FC_SEED=random.
import fc from 'fast-check';

const requested = process.env.FC_SEED;
const seed = requested === 'random' ? Date.now() ^ (Math.random() * 2 ** 31) : Number(requested ?? 20261126);
fc.configureGlobal({ seed });
