// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title WitnessRegistry — on-chain checkpoints of RFC 9162 append-only Merkle logs
/// @notice One registry serves several logs (a provincial trading center and its city
/// centers). Each log is identified by `logId = SHA-256(origin)`, where `origin` is the
/// UTF-8 log origin string of its C2SP tlog-checkpoint (e.g. "ggzy.example.gov.cn/witness"),
/// hashed without any prefix or terminator. An admin registers logs and names, per log, the
/// accounts allowed to anchor checkpoints. A checkpoint (tree size, root hash) is accepted
/// only if it is an append-only extension of the previous one: the contract verifies the
/// RFC 9162 §2.1.4.2 consistency proof itself, with SHA-256 (precompile 0x02), leaf hashes
/// `SHA-256(0x00 ‖ data)` and node hashes `SHA-256(0x01 ‖ left ‖ right)`.
/// @dev Storage per checkpoint: one slot packing (treeSize, timestamp, blockNumber) as uint64
/// and one slot for the root. Per log: one slot packing (lastSize, count, registered flag).
/// anchor() thus touches 3 cold slots (log state, anchorer flag, previous root) and writes 2
/// new slots plus the log state.
contract WitnessRegistry is AccessControl {
    /// @notice A checkpoint as stored on chain.
    /// @param treeSize Number of leaves of the log at this checkpoint.
    /// @param root RFC 9162 Merkle tree head (root hash) of the first `treeSize` leaves.
    /// @param timestamp `block.timestamp` of the anchoring block.
    /// @param blockNumber `block.number` of the anchoring block.
    struct Checkpoint {
        uint64 treeSize;
        bytes32 root;
        uint64 timestamp;
        uint64 blockNumber;
    }

    /// @dev A stored checkpoint: `meta` = treeSize | timestamp << 64 | blockNumber << 128.
    struct StoredCheckpoint {
        uint256 meta;
        bytes32 root;
    }

    /// @notice Upper bound on the number of hashes in a consistency or inclusion proof.
    uint256 public constant MAX_PROOF_LENGTH = 64;

    /// @dev Per-log state in one slot: lastSize (bits 0-63) | count (bits 64-127) | _REGISTERED.
    uint256 private constant _REGISTERED = 1 << 128;

    mapping(bytes32 logId => uint256 state) private _logs;
    mapping(bytes32 logId => mapping(address account => bool)) private _anchorers;
    mapping(bytes32 logId => mapping(uint256 index => StoredCheckpoint)) private _checkpoints;

    /// @notice A log was registered.
    event LogRegistered(bytes32 indexed logId, address indexed registeredBy);
    /// @notice `account` may now anchor checkpoints of `logId`.
    event AnchorerGranted(bytes32 indexed logId, address indexed account, address indexed sender);
    /// @notice `account` may no longer anchor checkpoints of `logId`.
    event AnchorerRevoked(bytes32 indexed logId, address indexed account, address indexed sender);
    /// @notice Checkpoint number `index` of `logId` was anchored.
    event CheckpointAnchored(
        bytes32 indexed logId, uint256 indexed index, uint64 treeSize, bytes32 root, uint64 timestamp
    );

    /// @notice The log id is zero (it must be the SHA-256 of the origin string).
    error ZeroLogId();
    /// @notice `logId` is already registered.
    error LogAlreadyRegistered(bytes32 logId);
    /// @notice `logId` is not registered.
    error UnknownLog(bytes32 logId);
    /// @notice The zero address cannot be an anchorer.
    error ZeroAnchorer(bytes32 logId);
    /// @notice `account` is not an anchorer of `logId`.
    error NotAnchorer(bytes32 logId, address account);
    /// @notice A checkpoint must grow the log: `newSize` must be greater than `lastSize`.
    error TreeSizeNotIncreasing(bytes32 logId, uint64 lastSize, uint64 newSize);
    /// @notice The consistency proof from `fromSize` to `toSize` does not verify
    /// (for the first checkpoint of a log, `fromSize` is 0 and the proof must be empty).
    error InvalidConsistencyProof(bytes32 logId, uint64 fromSize, uint64 toSize);
    /// @notice `index` is not below the number of checkpoints `count` of `logId`.
    error CheckpointOutOfRange(bytes32 logId, uint256 index, uint256 count);
    /// @notice The proof has `length` hashes, more than `maxLength`.
    error ProofTooLong(uint256 length, uint256 maxLength);

    /// @notice Deploys the registry; the deployer becomes the admin (DEFAULT_ADMIN_ROLE).
    constructor() {
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
    }

    // ------------------------------------------------------------------ admin

    /// @notice Registers a new log and its initial anchorers.
    /// @dev Only DEFAULT_ADMIN_ROLE. Emits LogRegistered, then AnchorerGranted per anchorer.
    /// @param logId SHA-256 of the log origin string.
    /// @param anchorers Accounts allowed to anchor checkpoints of this log (may be empty).
    function registerLog(bytes32 logId, address[] calldata anchorers)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        if (logId == bytes32(0)) revert ZeroLogId();
        if (_logs[logId] != 0) revert LogAlreadyRegistered(logId);
        _logs[logId] = _REGISTERED;
        emit LogRegistered(logId, msg.sender);
        for (uint256 i = 0; i < anchorers.length; ++i) {
            _grantAnchorer(logId, anchorers[i]);
        }
    }

    /// @notice Allows `account` to anchor checkpoints of `logId`.
    /// @dev Only DEFAULT_ADMIN_ROLE. Emits AnchorerGranted if `account` was not an anchorer.
    /// @param logId A registered log.
    /// @param account The account to allow (not the zero address).
    function grantAnchorer(bytes32 logId, address account) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _requireRegistered(logId);
        _grantAnchorer(logId, account);
    }

    /// @notice Withdraws the right of `account` to anchor checkpoints of `logId`.
    /// @dev Only DEFAULT_ADMIN_ROLE. Emits AnchorerRevoked if `account` was an anchorer.
    /// @param logId A registered log.
    /// @param account The account to revoke.
    function revokeAnchorer(bytes32 logId, address account) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _requireRegistered(logId);
        if (_anchorers[logId][account]) {
            _anchorers[logId][account] = false;
            emit AnchorerRevoked(logId, account, msg.sender);
        }
    }

    // ---------------------------------------------------------------- anchor

    /// @notice Anchors the checkpoint (`treeSize`, `root`) of `logId`.
    /// @dev Only an anchorer of `logId`. `treeSize` must exceed the last anchored size. The
    /// first checkpoint of a log takes an empty proof; every later one the RFC 9162 §2.1.4.2
    /// consistency proof from the last checkpoint to this one, verified here.
    /// Emits CheckpointAnchored.
    /// @param logId A registered log.
    /// @param treeSize The new tree size.
    /// @param root The Merkle tree head of the first `treeSize` leaves.
    /// @param consistencyProof PROOF(lastSize, D[treeSize]), at most MAX_PROOF_LENGTH hashes.
    function anchor(bytes32 logId, uint64 treeSize, bytes32 root, bytes32[] calldata consistencyProof)
        external
    {
        uint256 state = _logs[logId];
        if (state == 0) revert UnknownLog(logId);
        if (!_anchorers[logId][msg.sender]) revert NotAnchorer(logId, msg.sender);
        uint64 lastSize = _lastSize(state);
        if (treeSize <= lastSize) revert TreeSizeNotIncreasing(logId, lastSize, treeSize);
        if (consistencyProof.length > MAX_PROOF_LENGTH) {
            revert ProofTooLong(consistencyProof.length, MAX_PROOF_LENGTH);
        }
        uint64 index = _count(state);
        mapping(uint256 => StoredCheckpoint) storage history = _checkpoints[logId];
        bool consistent = index == 0
            ? consistencyProof.length == 0
            : _verifyConsistency(lastSize, treeSize, history[index - 1].root, root, consistencyProof);
        if (!consistent) revert InvalidConsistencyProof(logId, lastSize, treeSize);

        uint64 timestamp = uint64(block.timestamp);
        StoredCheckpoint storage stored = history[index];
        stored.meta = _packMeta(treeSize, timestamp, uint64(block.number));
        stored.root = root;
        _logs[logId] = _REGISTERED | (uint256(index + 1) << 64) | treeSize;
        emit CheckpointAnchored(logId, index, treeSize, root, timestamp);
    }

    // ----------------------------------------------------------------- views

    /// @notice Checks an RFC 9162 §2.1.3.2 inclusion proof against a stored checkpoint.
    /// @dev Reverts only for an unknown log or checkpoint index; a wrong proof, a leaf index
    /// outside the tree or a proof longer than MAX_PROOF_LENGTH yield false.
    /// @param logId A registered log.
    /// @param checkpointIndex Index of the checkpoint in the log's history.
    /// @param leafIndex Index of the leaf in the log.
    /// @param leafHash The leaf hash, SHA-256(0x00 ‖ data).
    /// @param proof PATH(leafIndex, D[treeSize]), bottom-up.
    /// @return True if the proof links `leafHash` at `leafIndex` to the checkpoint's root.
    function verifyInclusion(
        bytes32 logId,
        uint256 checkpointIndex,
        uint64 leafIndex,
        bytes32 leafHash,
        bytes32[] calldata proof
    ) external view returns (bool) {
        Checkpoint memory cp = checkpointAt(logId, checkpointIndex);
        if (proof.length > MAX_PROOF_LENGTH) return false;
        return _verifyInclusion(leafIndex, cp.treeSize, leafHash, cp.root, proof);
    }

    /// @notice The most recent checkpoint of `logId`; all fields zero if none was anchored yet.
    /// @param logId A registered log.
    /// @return The latest checkpoint.
    function latestCheckpoint(bytes32 logId) external view returns (Checkpoint memory) {
        uint64 count = _count(_requireRegistered(logId));
        if (count == 0) return Checkpoint(0, bytes32(0), 0, 0);
        return _loadCheckpoint(logId, count - 1);
    }

    /// @notice Checkpoint number `index` (0-based, in anchoring order) of `logId`.
    /// @param logId A registered log.
    /// @param index Index below checkpointCount(logId).
    /// @return The checkpoint.
    function checkpointAt(bytes32 logId, uint256 index) public view returns (Checkpoint memory) {
        uint64 count = _count(_requireRegistered(logId));
        if (index >= count) revert CheckpointOutOfRange(logId, index, count);
        return _loadCheckpoint(logId, index);
    }

    /// @notice Number of checkpoints anchored for `logId`.
    /// @param logId A registered log.
    /// @return The count.
    function checkpointCount(bytes32 logId) external view returns (uint256) {
        return _count(_requireRegistered(logId));
    }

    /// @notice Whether `account` may anchor checkpoints of `logId`.
    /// @param logId Any log id.
    /// @param account Any account.
    /// @return True if `account` is a current anchorer of `logId`.
    function isAnchorer(bytes32 logId, address account) external view returns (bool) {
        return _anchorers[logId][account];
    }

    /// @notice Whether `logId` is registered.
    /// @param logId Any log id.
    /// @return True if registered.
    function isRegistered(bytes32 logId) external view returns (bool) {
        return _logs[logId] != 0;
    }

    /// @notice The log id of an origin string: SHA-256 of its UTF-8 bytes.
    /// @param origin The log origin, as in the first line of its checkpoints.
    /// @return The log id.
    function logIdOf(string calldata origin) external pure returns (bytes32) {
        return sha256(bytes(origin));
    }

    // -------------------------------------------------------------- internal

    function _requireRegistered(bytes32 logId) private view returns (uint256 state) {
        state = _logs[logId];
        if (state == 0) revert UnknownLog(logId);
    }

    function _lastSize(uint256 state) private pure returns (uint64) {
        return uint64(state);
    }

    function _count(uint256 state) private pure returns (uint64) {
        return uint64(state >> 64);
    }

    function _grantAnchorer(bytes32 logId, address account) private {
        if (account == address(0)) revert ZeroAnchorer(logId);
        if (!_anchorers[logId][account]) {
            _anchorers[logId][account] = true;
            emit AnchorerGranted(logId, account, msg.sender);
        }
    }

    function _packMeta(uint64 treeSize, uint64 timestamp, uint64 blockNumber)
        private
        pure
        returns (uint256)
    {
        return uint256(treeSize) | (uint256(timestamp) << 64) | (uint256(blockNumber) << 128);
    }

    function _loadCheckpoint(bytes32 logId, uint256 index) private view returns (Checkpoint memory) {
        StoredCheckpoint storage stored = _checkpoints[logId][index];
        uint256 meta = stored.meta;
        return Checkpoint({
            treeSize: uint64(meta),
            root: stored.root,
            timestamp: uint64(meta >> 64),
            blockNumber: uint64(meta >> 128)
        });
    }

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
    function _verifyConsistency(
        uint256 first,
        uint256 second,
        bytes32 firstRoot,
        bytes32 secondRoot,
        bytes32[] calldata proof
    ) private view returns (bool ok) {
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
    function _verifyInclusion(
        uint256 index,
        uint256 size,
        bytes32 leafHash,
        bytes32 root,
        bytes32[] calldata proof
    ) private view returns (bool) {
        if (index >= size) return false;
        uint256 fn = index;
        uint256 sn = size - 1;
        bytes32 r = leafHash;
        uint256 len = proof.length;
        for (uint256 i = 0; i < len; ++i) {
            if (sn == 0) return false;
            bytes32 p = proof[i];
            if (fn & 1 == 1 || fn == sn) {
                r = _hashNode(p, r);
                while (fn & 1 == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                r = _hashNode(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && r == root;
    }

    /// @dev SHA-256(0x01 ‖ left ‖ right) via precompile 0x02, using memory past the free
    /// memory pointer as a temporary buffer (not allocated) and scratch space for the output.
    function _hashNode(bytes32 left, bytes32 right) private view returns (bytes32 h) {
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
