//! The one security descriptor a written hive carries.
//!
//! A self-relative descriptor in the spirit of XP's `HKLM\SOFTWARE`:
//! owner Administrators, group SYSTEM, and a DACL that subkeys inherit:
//! Administrators and SYSTEM full control, Users read, CREATOR OWNER full
//! control on subkeys only.

/// `KEY_ALL_ACCESS`.
const KEY_ALL_ACCESS: u32 = 0x000F_003F;
/// `KEY_READ`.
const KEY_READ: u32 = 0x0002_0019;
/// `GENERIC_ALL`.
const GENERIC_ALL: u32 = 0x1000_0000;
/// `CONTAINER_INHERIT_ACE`.
const INHERIT: u8 = 0x02;
/// `CONTAINER_INHERIT_ACE | INHERIT_ONLY_ACE`.
const INHERIT_ONLY: u8 = 0x0A;
/// `SE_SELF_RELATIVE | SE_DACL_PRESENT`.
const CONTROL: u16 = 0x8004;

/// A SID with the given identifier authority and sub-authorities.
fn sid(authority: u8, subs: &[u32]) -> Vec<u8> {
    let mut out = vec![1, subs.len() as u8, 0, 0, 0, 0, 0, authority];
    for sub in subs {
        out.extend_from_slice(&sub.to_le_bytes());
    }
    out
}

/// An `ACCESS_ALLOWED_ACE`.
fn allow(flags: u8, mask: u32, sid: &[u8]) -> Vec<u8> {
    let mut out = vec![0, flags];
    out.extend_from_slice(&((8 + sid.len()) as u16).to_le_bytes());
    out.extend_from_slice(&mask.to_le_bytes());
    out.extend_from_slice(sid);
    out
}

/// The self-relative security descriptor.
fn default_descriptor() -> Vec<u8> {
    let admins = sid(5, &[32, 544]);
    let users = sid(5, &[32, 545]);
    let system = sid(5, &[18]);
    let creator_owner = sid(3, &[0]);
    let aces = [
        allow(INHERIT, KEY_ALL_ACCESS, &admins),
        allow(INHERIT, KEY_ALL_ACCESS, &system),
        allow(INHERIT, KEY_READ, &users),
        allow(INHERIT_ONLY, GENERIC_ALL, &creator_owner),
    ];
    let aces_len: usize = aces.iter().map(Vec::len).sum();
    let mut dacl = vec![2, 0];
    dacl.extend_from_slice(&((8 + aces_len) as u16).to_le_bytes());
    dacl.extend_from_slice(&(aces.len() as u16).to_le_bytes());
    dacl.extend_from_slice(&[0, 0]);
    aces.iter().for_each(|ace| dacl.extend_from_slice(ace));

    let dacl_at = 20u32;
    let owner_at = dacl_at + dacl.len() as u32;
    let group_at = owner_at + admins.len() as u32;
    let mut sd = vec![1, 0];
    sd.extend_from_slice(&CONTROL.to_le_bytes());
    sd.extend_from_slice(&owner_at.to_le_bytes());
    sd.extend_from_slice(&group_at.to_le_bytes());
    sd.extend_from_slice(&0u32.to_le_bytes()); // no SACL
    sd.extend_from_slice(&dacl_at.to_le_bytes());
    sd.extend_from_slice(&dacl);
    sd.extend_from_slice(&admins);
    sd.extend_from_slice(&system);
    sd
}

/// The data of an `sk` cell holding the default descriptor. The list links
/// and the reference count (bytes 4..16) are filled in by the writer.
pub(crate) fn default_sk_cell() -> Vec<u8> {
    let sd = default_descriptor();
    let mut cell = vec![0u8; 16];
    cell[..2].copy_from_slice(b"sk");
    cell.extend_from_slice(&(sd.len() as u32).to_le_bytes());
    cell.extend_from_slice(&sd);
    cell
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_offsets_point_at_its_parts() {
        let sd = default_descriptor();
        let at = |i: usize| u32::from_le_bytes(sd[i..i + 4].try_into().unwrap()) as usize;
        let (owner, group, dacl) = (at(4), at(8), at(16));
        assert_eq!(&sd[owner..owner + 16], &sid(5, &[32, 544])[..]);
        assert_eq!(&sd[group..], &sid(5, &[18])[..]);
        let dacl_len = u16::from_le_bytes([sd[dacl + 2], sd[dacl + 3]]) as usize;
        assert_eq!(dacl + dacl_len, owner);
        assert_eq!(default_sk_cell().len(), 20 + sd.len());
    }
}
