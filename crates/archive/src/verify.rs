pub fn verify(){} pub struct Break; pub struct PurgedSegment; pub struct VerifyError; pub struct VerifyReport;
