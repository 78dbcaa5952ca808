// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

/// @title MerkleProofs — RFC 9162 proof checks with SHA-256
/// @notice Consistency (§2.1.4.2) and inclusion (§2.1.3.2) proofs of an RFC 9162 Merkle tree
/// whose node hashes are `SHA-256(0x01 ‖ left ‖ right)`, computed with the SHA-256 precompile
/// (0x02). Internal functions only: they are compiled into the calling contract, so keeping
/// them here costs no gas and keeps the registry's own logic readable.
library MerkleProofs {
    /// @dev RFC 9162 §2.1.4.2 for 0 < first < second (step numbers refer to the RFC), in
    /// assembly to keep anchor() cheap: proof hashes are read straight from calldata, and each
    /// node hash is one staticcall to the SHA-256 precompile over a 65-byte buffer
    /// (0x01 ‖ left ‖ right) past the free memory pointer (temporary, never allocated).
    /// Equivalent reformulations of step 6, each exact:
    /// - while fn != 0 (hence sn != 0, as fn <= sn) the RFC loop runs as written, except that
    ///   while fr == sr the two hashes H(c ‖ fr) and H(c ‖ sr) are one;
    /// - once fn == 0, "LSB(fn) set or fn == sn" can only hold for sn == 0, which stops the
    ///   loop: the rest is sr = H(sr ‖ c) with sn shifted;
    /// - "if sn == 0, fail" at the start of an iteration is the same as requiring the whole
    ///   proof to be consumed when sn reaches 0 (checked at the end).
    /// The precompile's result is not checked: it can only fail by running out of gas, which
    /// leaves under 1/64 of a precompile call's gas, far too little for anchor() to finish.
    function verifyConsistency(
        uint256 first,
        uint256 second,
        bytes32 firstRoot,
        bytes32 secondRoot,
        bytes32[] calldata proof
    ) internal view returns (bool ok) {
        assembly ("memory-safe") {
            let ptr := proof.offset
            let end := add(ptr, shl(5, proof.length))
            // step 1: an empty proof only proves first == second, excluded by the caller
            if proof.length {
                // step 2: if first is a power of two, its root is the implicit first element
                let fr := firstRoot
                if and(first, sub(first, 1)) {
                    fr := calldataload(ptr)
                    ptr := add(ptr, 0x20)
                }
                let sr := fr
                // steps 3-4
                let fn := sub(first, 1)
                let sn := sub(second, 1)
                for {} and(fn, 1) {} {
                    fn := shr(1, fn)
                    sn := shr(1, sn)
                }
                let buf := mload(0x40)
                mstore8(buf, 0x01)
                let lp := add(buf, 0x01)
                let rp := add(buf, 0x21)
                // step 6 while fn != 0
                for {} mul(lt(ptr, end), fn) { ptr := add(ptr, 0x20) } {
                    let c := calldataload(ptr)
                    switch or(and(fn, 1), eq(fn, sn))
                    case 0 {
                        mstore(lp, sr)
                        mstore(rp, c)
                        pop(staticcall(gas(), 0x02, buf, 0x41, 0x00, 0x20))
                        sr := mload(0x00)
                    }
                    default {
                        let same := eq(fr, sr)
                        mstore(lp, c)
                        mstore(rp, sr)
                        pop(staticcall(gas(), 0x02, buf, 0x41, 0x00, 0x20))
                        sr := mload(0x00)
                        switch same
                        case 0 {
                            mstore(rp, fr)
                            pop(staticcall(gas(), 0x02, buf, 0x41, 0x00, 0x20))
                            fr := mload(0x00)
                        }
                        default { fr := sr }
                        for {} and(iszero(and(fn, 1)), iszero(iszero(fn))) {} {
                            fn := shr(1, fn)
                            sn := shr(1, sn)
                        }
                    }
                    fn := shr(1, fn)
                    sn := shr(1, sn)
                }
                // step 6 once fn == 0: only sr = H(sr ‖ c), while sn != 0
                for {} mul(lt(ptr, end), sn) { ptr := add(ptr, 0x20) } {
                    mstore(lp, sr)
                    mstore(rp, calldataload(ptr))
                    pop(staticcall(gas(), 0x02, buf, 0x41, 0x00, 0x20))
                    sr := mload(0x00)
                    sn := shr(1, sn)
                }
                // step 7, and the whole proof consumed
                ok := and(and(eq(ptr, end), iszero(sn)), and(eq(fr, firstRoot), eq(sr, secondRoot)))
            }
        }
    }

    /// @dev RFC 9162 §2.1.3.2.
    function verifyInclusion(
        uint256 index,
        uint256 size,
        bytes32 leafHash,
        bytes32 root,
        bytes32[] calldata proof
    ) internal view returns (bool) {
        if (index >= size) return false;
        uint256 fn = index;
        uint256 sn = size - 1;
        bytes32 r = leafHash;
        uint256 len = proof.length;
        for (uint256 i = 0; i < len; ++i) {
            if (sn == 0) return false;
            bytes32 p = proof[i];
            if (fn & 1 == 1 || fn == sn) {
                r = hashNode(p, r);
                while (fn & 1 == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                r = hashNode(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && r == root;
    }

    /// @dev SHA-256(0x01 ‖ left ‖ right) via precompile 0x02, using memory past the free
    /// memory pointer as a temporary buffer (not allocated) and scratch space for the output.
    function hashNode(bytes32 left, bytes32 right) internal view returns (bytes32 h) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore8(ptr, 0x01)
            mstore(add(ptr, 0x01), left)
            mstore(add(ptr, 0x21), right)
            if iszero(staticcall(gas(), 0x02, ptr, 0x41, 0x00, 0x20)) { revert(0, 0) }
            h := mload(0x00)
        }
    }
}
