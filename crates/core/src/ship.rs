//! The ship classes Lookout reasons with: the AIS ship-and-cargo type
//! ([`ShipClass`], ITU-R M.1371-5 table 53), the transponder class
//! ([`AisClass`]) and a sensor's judgement of a hull ([`VesselClass`]).

/// AIS transponder class of the last report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AisClass {
    #[default]
    Unknown,
    A,
    B,
    SarAircraft,
}

/// Coarse classes of the AIS ship-type code (ITU-R M.1371-5, table 53).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShipClass {
    Unknown,
    Cargo,
    Tanker,
    Passenger,
    HighSpeed,
    Fishing,
    TugTow,
    Sar,
    LawEnforcement,
    PilotTender,
    Sailing,
    Pleasure,
    Military,
    Medical,
    Special,
    Wig,
    Other,
}

impl ShipClass {
    /// Classifies a raw AIS ship-type code.
    pub fn from_ais(code: u8) -> Self {
        match code {
            0 => ShipClass::Unknown,
            20..=29 => ShipClass::Wig,
            30 => ShipClass::Fishing,
            31 | 32 | 52 => ShipClass::TugTow,
            33 | 34 | 54 | 56 | 57 | 59 => ShipClass::Special,
            35 => ShipClass::Military,
            36 => ShipClass::Sailing,
            37 => ShipClass::Pleasure,
            40..=49 => ShipClass::HighSpeed,
            50 | 53 => ShipClass::PilotTender,
            51 => ShipClass::Sar,
            55 => ShipClass::LawEnforcement,
            58 => ShipClass::Medical,
            60..=69 => ShipClass::Passenger,
            70..=79 => ShipClass::Cargo,
            80..=89 => ShipClass::Tanker,
            _ => ShipClass::Other,
        }
    }
}

/// Vessel class as a sensor (or its operator) judged it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VesselClass {
    RubberBoat,
    WoodenBoat,
    Fishing,
    Sailing,
    MotorYacht,
    Merchant,
    Unknown,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ship_classes_follow_itu_table_53() {
        assert_eq!(ShipClass::from_ais(30), ShipClass::Fishing);
        assert_eq!(ShipClass::from_ais(37), ShipClass::Pleasure);
        assert_eq!(ShipClass::from_ais(71), ShipClass::Cargo);
        assert_eq!(ShipClass::from_ais(84), ShipClass::Tanker);
        assert_eq!(ShipClass::from_ais(52), ShipClass::TugTow);
        assert_eq!(ShipClass::from_ais(99), ShipClass::Other);
    }
}
