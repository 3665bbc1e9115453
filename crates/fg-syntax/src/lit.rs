//! Literal values that need more than the grammar to validate: CIDR blocks.

use std::fmt;

/// An IPv4 network: an address and a prefix length, with no host bits set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr {
    pub addr: u32,
    pub prefix: u8,
}

/// Why a CIDR literal is invalid, and the corrected block when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CidrError {
    pub why: String,
    pub suggestion: Option<Cidr>,
}

impl Cidr {
    /// Parses `a.b.c.d/n`, rejecting octets above 255, prefixes above 32 and host bits.
    pub fn parse(text: &str) -> Result<Cidr, CidrError> {
        let err = |why: &str| CidrError { why: why.to_string(), suggestion: None };
        let (ip, prefix) = text.split_once('/').ok_or_else(|| err("missing `/prefix`"))?;
        let prefix: u8 = prefix.parse().map_err(|_| err("the prefix is not a number"))?;
        if prefix > 32 {
            return Err(err("the prefix is above 32"));
        }
        let mut addr = 0u32;
        let octets: Vec<&str> = ip.split('.').collect();
        if octets.len() != 4 {
            return Err(err("an IPv4 address has four octets"));
        }
        for o in octets {
            let v: u32 = o.parse().map_err(|_| err("an octet is not a number"))?;
            if v > 255 {
                return Err(err("an octet is above 255"));
            }
            addr = (addr << 8) | v;
        }
        let cidr = Cidr { addr: addr & Self::mask(prefix), prefix };
        if cidr.addr != addr {
            return Err(CidrError { why: "host bits are set below the prefix".into(), suggestion: Some(cidr) });
        }
        Ok(cidr)
    }

    fn mask(prefix: u8) -> u32 {
        if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix)) }
    }

    /// The first address after the block, as a u64 so that `0.0.0.0/0` does not overflow.
    pub fn end(self) -> u64 {
        u64::from(self.addr) + (1u64 << (32 - u32::from(self.prefix)))
    }

    /// True if `other` lies entirely inside `self`.
    pub fn contains(self, other: Cidr) -> bool {
        other.prefix >= self.prefix && u64::from(other.addr) >= u64::from(self.addr) && other.end() <= self.end()
    }

    /// True if the two blocks share any address.
    pub fn overlaps(self, other: Cidr) -> bool {
        u64::from(self.addr) < other.end() && u64::from(other.addr) < self.end()
    }

    /// Terraform's `cidrsubnet(self, newbits, index)`; `None` if it does not fit.
    pub fn subnet(self, newbits: u8, index: u32) -> Option<Cidr> {
        let prefix = self.prefix.checked_add(newbits)?;
        if prefix > 32 || (newbits < 32 && u64::from(index) >= (1u64 << newbits)) {
            return None;
        }
        let addr = self.addr | (index << (32 - u32::from(prefix)));
        Some(Cidr { addr, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.addr;
        write!(f, "{}.{}.{}.{}/{}", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_relations() {
        let vpc = Cidr::parse("10.0.0.0/16").unwrap();
        assert_eq!(vpc.to_string(), "10.0.0.0/16");
        let a = Cidr::parse("10.0.1.0/24").unwrap();
        assert!(vpc.contains(a));
        assert!(!a.contains(vpc));
        assert!(vpc.overlaps(a));
        assert!(!a.overlaps(Cidr::parse("10.0.2.0/24").unwrap()));
        assert_eq!(vpc.subnet(8, 3).unwrap().to_string(), "10.0.3.0/24");
        assert_eq!(vpc.subnet(8, 256), None);
        assert_eq!(Cidr::parse("10.0.0.1/16").unwrap_err().suggestion, Some(vpc));
        assert!(Cidr::parse("10.0.0.300/16").is_err());
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(vpc));
    }
}
