// Stand-in for better-sqlite3 in the Lambda and Fargate bundles (they run with STRATO_STORAGE=aws).
module.exports = function Database() {
  throw new Error(
    'embedded storage (better-sqlite3) is not available in this bundle; use STRATO_STORAGE=aws',
  );
};
