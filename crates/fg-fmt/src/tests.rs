use crate::{FormatError, format};

fn check(input: &str, expected: &str) {
    let got = format(input).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(got, expected, "\n--- got ---\n{got}\n--- want ---\n{expected}");
    assert_eq!(format(&got).as_deref(), Ok(expected), "not idempotent");
}

#[test]
fn aligns_and_indents() {
    check(
        "service web {\nimage=\"x\"\n    cpu = 256\n  memory_size_long = 1GiB\n\n\n\n  port = 80\n}\n",
        "service web {\n  image            = \"x\"\n  cpu              = 256\n  memory_size_long = 1GiB\n\n  port = 80\n}\n",
    );
}

#[test]
fn keeps_one_line_blocks_and_comments() {
    check(
        "// header\n\napp \"a\" { region = \"eu-west-1\" } // trailing\n\n/// doc\nnetwork main {\n  // leading\n  cidr = 10.0.0.0/16 // why\n  zones = 2\n}\n// end\n",
        "// header\n\napp \"a\" { region = \"eu-west-1\" } // trailing\n\n/// doc\nnetwork main {\n  // leading\n  cidr  = 10.0.0.0/16 // why\n  zones = 2\n}\n// end\n",
    );
}

#[test]
fn statements_and_nested_blocks() {
    check(
        "balancer web {\n  listener https {\n    certificate = \"c\"\n    route   \"/a\" ->  api priority 5\n    route host \"h\" \"/b\" -> api\n  }\n}\nservice api {\n  scale {\n    max = 3\n    step cpu >= 80% < 90% for 3 x 60s => +1\n    target cpu   70%\n  }\n  tags = {\n    a = 1\n    bb = [1, 2]\n  }\n  list = [\n    1, // one\n    2\n  ]\n  count = env {\n    dev = 1\n    production = 2\n  }\n}\n",
        "balancer web {\n  listener https {\n    certificate = \"c\"\n    route \"/a\" -> api priority 5\n    route \"/b\" host \"h\" -> api\n  }\n}\nservice api {\n  scale {\n    max = 3\n    step cpu >= 80% < 90% for 3 x 60s => +1\n    target cpu 70%\n  }\n  tags = {\n    a  = 1\n    bb = [1, 2]\n  }\n  list = [\n    1, // one\n    2,\n  ]\n  count = env {\n    dev        = 1\n    production = 2\n  }\n}\n",
    );
}

#[test]
fn long_one_line_blocks_break() {
    let long = format!("let x = {{ a = \"{}\", b = 2 }}\n", "y".repeat(90));
    let got = format(&long).unwrap();
    assert!(got.contains("{\n  a = "), "{got}");
    assert_eq!(format(&got).unwrap(), got);
}

#[test]
fn refuses_files_with_errors() {
    assert_eq!(format("service {"), Err(FormatError::Syntax(1)));
}

#[test]
fn stdlib_style() {
    check(
        "/// A thing.\nkind thing {\n  /// The name.\n  name: string\n  out id:  string\n  zones: int | list<string> = 2\n}\nenum e {\n  /// A.\n  a\n  b\n}\n",
        "/// A thing.\nkind thing {\n  /// The name.\n  name: string\n  out id: string\n  zones: int | list<string> = 2\n}\nenum e {\n  /// A.\n  a\n  b\n}\n",
    );
}
