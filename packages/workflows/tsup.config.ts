import { packageBuild } from '../../tsup.package';

export default packageBuild([
  'src/index.ts',
  'src/sqlite/index.ts',
  'src/postgres/index.ts',
  'src/node.ts',
  'src/device/index.ts',
  'src/server/index.ts',
]);
