//! The workspace binaries are found (built if needed) from inside a test run.

use e2e::bins;

#[test]
fn workspace_binaries_are_built_once_and_exist() {
    let proxyd = bins::proxyd();
    let haproxyctl = bins::haproxyctl();
    assert!(proxyd.is_file(), "{}", proxyd.display());
    assert!(haproxyctl.is_file(), "{}", haproxyctl.display());
    assert_eq!(proxyd.file_name().unwrap(), "proxyd");
    // Second lookup comes from the cache: same paths, no second build.
    assert_eq!(bins::proxyd(), proxyd);
}
