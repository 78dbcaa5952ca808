// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IWitnessRegistry} from "./IWitnessRegistry.sol";
import {MerkleProofs} from "./MerkleProofs.sol";

/// @title WitnessRegistry — on-chain checkpoints of RFC 9162 append-only Merkle logs
/// @notice One registry serves several logs (a provincial trading center and its city
/// centers). Each log is identified by `logId = SHA-256(origin)`, where `origin` is the
/// UTF-8 log origin string of its C2SP tlog-checkpoint (e.g. "ggzy.example.gov.cn/witness"),
/// hashed without any prefix or terminator. The admin role registers logs, each with its
/// checkpoint signer (a secp256k1 address whose key only the log holds) and the accounts
/// allowed to submit its checkpoints. A checkpoint (tree size, root hash) is accepted only if
/// the log's signer signed it (`checkpointDigest`) and it is an append-only extension of the
/// previous one: the contract verifies the RFC 9162 §2.1.4.2 consistency proof itself, with
/// SHA-256 (precompile 0x02), leaf hashes `SHA-256(0x00 ‖ data)` and node hashes
/// `SHA-256(0x01 ‖ left ‖ right)`. The signature is what binds the size: a consistency proof
/// alone verifies for many sizes, so an anchorer account (or an admin who grants one) can
/// anchor nothing the log did not sign.
/// The admin role is meant to be held jointly by the regulators (e.g. a multisig wallet).
/// When a log's keys are compromised it freezes the log at its last good checkpoint and
/// registers a successor log that continues from that checkpoint with a new signer. A signer
/// key still in the log's hands is rotated instead (`rotateCheckpointSigner`): the admin sends
/// the change, the current signer signs its consent.
/// @dev Storage per checkpoint: one slot packing (treeSize, timestamp, blockNumber) as uint64
/// and one slot for the root. Per log: one slot packing (signer, lastSize, count, frozen), so
/// the signer costs no extra storage read. anchor() thus touches 3 cold slots (log state,
/// anchorer flag, previous root) and writes 2 new slots plus the log state.
contract WitnessRegistry is IWitnessRegistry, AccessControl {
    /// @dev A stored checkpoint: `meta` = treeSize | timestamp << 64 | blockNumber << 128.
    struct StoredCheckpoint {
        uint256 meta;
        bytes32 root;
    }

    /// @dev Where a successor log starts: its predecessor and the checkpoint it continues.
    struct Link {
        bytes32 predecessor;
        bytes32 startRoot;
        uint64 startSize;
    }

    /// @notice Upper bound on the number of hashes in a consistency or inclusion proof.
    uint256 public constant MAX_PROOF_LENGTH = 64;
    /// @notice Domain tag of the checkpoint digest the log's signer signs.
    bytes32 public constant CHECKPOINT_TAG = keccak256("witness-registry/checkpoint/v1");
    /// @dev Domain tag of the digest a log's current checkpoint signer signs to hand over to a
    /// new one (`rotateCheckpointSigner`). Private: no getter, so `anchor` dispatches as before.
    bytes32 private constant _ROTATION_TAG = keccak256("witness-registry/signer-rotation/v1");
    /// @notice `lastGoodIndex` of a log frozen with no good checkpoint at all.
    uint256 public constant NO_GOOD_CHECKPOINT = type(uint256).max;

    /// @dev Per-log state in one slot: signer (bits 0-159) | lastSize (160-223) |
    /// count (224-254) | frozen (255). A registered log has a non-zero signer, so the state of
    /// a registered log is never zero. 2^31 checkpoints outlast any anchoring interval.
    uint256 private constant _SIGNER_MASK = (1 << 160) - 1;
    uint256 private constant _COUNT_MASK = (1 << 31) - 1;
    uint256 private constant _FROZEN = 1 << 255;
    /// @dev EIP-2098: the top bit of `yParityAndS` is the y parity, the rest is s.
    uint256 private constant _S_MASK = (1 << 255) - 1;

    mapping(bytes32 logId => uint256 state) private _logs;
    mapping(bytes32 logId => mapping(address account => bool)) private _anchorers;
    mapping(bytes32 logId => mapping(uint256 index => StoredCheckpoint)) private _checkpoints;
    mapping(bytes32 logId => uint256 lastGoodIndex) private _lastGood;
    mapping(bytes32 logId => Link) private _links;
    mapping(bytes32 logId => bytes32 successor) private _successors;

    /// @notice Deploys the registry; the deployer becomes the admin (DEFAULT_ADMIN_ROLE).
    constructor() {
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
    }

    // ------------------------------------------------------------------ admin

    /// @notice Registers a new log, its checkpoint signer and its initial anchorers.
    /// @dev Only DEFAULT_ADMIN_ROLE. Emits LogRegistered, then AnchorerGranted per anchorer.
    /// @param logId SHA-256 of the log origin string.
    /// @param signer Address of the log's secp256k1 checkpoint key (not the zero address).
    /// @param anchorers Accounts allowed to anchor checkpoints of this log (may be empty).
    function registerLog(bytes32 logId, address signer, address[] calldata anchorers)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        _register(logId, signer, 0, anchorers);
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

    /// @notice Stops `logId` for good: no checkpoint is anchored for it any more.
    /// @dev Only DEFAULT_ADMIN_ROLE, once per log. Its checkpoints stay readable; a verifier
    /// trusts only those up to `lastGoodIndex`. Emits LogFrozen.
    /// @param logId A registered log, not frozen yet.
    /// @param lastGoodIndex Index of its last checkpoint still trusted (below its checkpoint
    /// count), or NO_GOOD_CHECKPOINT if none is.
    function freezeLog(bytes32 logId, uint256 lastGoodIndex) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint256 state = _requireRegistered(logId);
        if (state & _FROZEN != 0) revert LogIsFrozen(logId, _lastGood[logId]);
        uint256 count = _count(state);
        if (lastGoodIndex != NO_GOOD_CHECKPOINT && lastGoodIndex >= count) {
            revert CheckpointOutOfRange(logId, lastGoodIndex, count);
        }
        _logs[logId] = state | _FROZEN;
        _lastGood[logId] = lastGoodIndex;
        emit LogFrozen(logId, lastGoodIndex, msg.sender);
    }

    /// @notice Registers `successor`, a new log continuing the frozen `predecessor` from its
    /// last good checkpoint, with its own checkpoint signer and anchorers.
    /// @dev Only DEFAULT_ADMIN_ROLE, once per predecessor. The successor's first anchor must
    /// carry the consistency proof from that checkpoint (an empty proof if there was none).
    /// Emits LogRegistered, AnchorerGranted per anchorer, then SuccessorRegistered.
    /// @param predecessor A frozen log without a successor.
    /// @param successor SHA-256 of the successor's origin string, not registered yet.
    /// @param signer Address of the successor's checkpoint key (not the zero address).
    /// @param anchorers Accounts allowed to anchor checkpoints of the successor.
    function registerSuccessor(
        bytes32 predecessor,
        bytes32 successor,
        address signer,
        address[] calldata anchorers
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (_requireRegistered(predecessor) & _FROZEN == 0) revert LogNotFrozen(predecessor);
        bytes32 existing = _successors[predecessor];
        if (existing != bytes32(0)) revert SuccessorAlreadyRegistered(predecessor, existing);
        uint256 good = _lastGood[predecessor];
        Link memory link = Link(predecessor, bytes32(0), 0);
        if (good != NO_GOOD_CHECKPOINT) {
            StoredCheckpoint storage start = _checkpoints[predecessor][good];
            (link.startSize, link.startRoot) = (uint64(start.meta), start.root);
        }
        _register(successor, signer, link.startSize, anchorers);
        _links[successor] = link;
        _successors[predecessor] = successor;
        emit SuccessorRegistered(predecessor, successor, link.startSize, link.startRoot);
    }

    /// @notice Replaces the checkpoint signer of `logId` by `newSigner`, with the consent of
    /// the current signer (a routine key rotation, or a signer key feared stolen).
    /// @dev Only DEFAULT_ADMIN_ROLE, and only with the current signer's EIP-2098 signature
    /// over keccak256(abi.encode(ROTATION_TAG, chainid, registry, logId, currentSigner,
    /// newSigner)), ROTATION_TAG = keccak256("witness-registry/signer-rotation/v1"): neither
    /// the admin alone (who could then anchor what the log never signed) nor a stolen signer
    /// key alone can change it. A lost signer key cannot consent: freeze the log and register
    /// a successor instead. Emits CheckpointSignerRotated.
    /// @param logId A registered log, not frozen.
    /// @param newSigner Address of the log's new checkpoint key (not the zero address).
    /// @param sigR The r of the current signer's signature over the rotation digest.
    /// @param sigYParityAndS The signature's y parity (top bit) and s (EIP-2098 compact form).
    function rotateCheckpointSigner(bytes32 logId, address newSigner, bytes32 sigR, bytes32 sigYParityAndS)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        uint256 state = _requireRegistered(logId);
        if (state & _FROZEN != 0) revert LogIsFrozen(logId, _lastGood[logId]);
        if (newSigner == address(0)) revert ZeroSigner(logId);
        address current = address(uint160(state));
        bytes32 digest = keccak256(abi.encode(_ROTATION_TAG, block.chainid, address(this), logId, current, newSigner));
        address recovered = _recover(digest, sigR, sigYParityAndS);
        if (recovered != current) revert RotationNotSignedBySigner(logId, newSigner, recovered, current);
        _logs[logId] = (state & ~_SIGNER_MASK) | uint256(uint160(newSigner));
        emit CheckpointSignerRotated(logId, current, newSigner, msg.sender);
    }

    // ---------------------------------------------------------------- anchor

    /// @notice Anchors the checkpoint (`treeSize`, `root`) of `logId`, signed by the log.
    /// @dev Only an anchorer of `logId`, and only if the log is not frozen. The signature must
    /// recover `checkpointDigest(logId, treeSize, root)` to the log's checkpoint signer; it is
    /// checked before the proof, so a checkpoint the log never signed is refused as such.
    /// `treeSize` must exceed the last anchored size. The first checkpoint of a log takes an
    /// empty proof (a successor: the proof from its start checkpoint); every later one the
    /// RFC 9162 §2.1.4.2 consistency proof from the last checkpoint to this one, verified
    /// here. Emits CheckpointAnchored.
    /// @param logId A registered log.
    /// @param treeSize The new tree size.
    /// @param root The Merkle tree head of the first `treeSize` leaves.
    /// @param consistencyProof PROOF(lastSize, D[treeSize]), at most MAX_PROOF_LENGTH hashes.
    /// @param sigR The r of the signer's ECDSA signature over the checkpoint digest.
    /// @param sigYParityAndS The signature's y parity (top bit) and s (EIP-2098 compact form).
    function anchor(
        bytes32 logId,
        uint64 treeSize,
        bytes32 root,
        bytes32[] calldata consistencyProof,
        bytes32 sigR,
        bytes32 sigYParityAndS
    ) external {
        uint256 state = _authorise(logId, treeSize, root, sigR, sigYParityAndS);
        uint64 lastSize = uint64(state >> 160);
        if (treeSize <= lastSize) revert TreeSizeNotIncreasing(logId, lastSize, treeSize);
        if (consistencyProof.length > MAX_PROOF_LENGTH) {
            revert ProofTooLong(consistencyProof.length, MAX_PROOF_LENGTH);
        }
        uint256 index = _count(state);
        bool consistent = lastSize == 0
            ? consistencyProof.length == 0
            : MerkleProofs.verifyConsistency(
                lastSize, treeSize, _previousRoot(logId, index), root, consistencyProof
            );
        if (!consistent) revert InvalidConsistencyProof(logId, lastSize, treeSize);

        uint64 timestamp = uint64(block.timestamp);
        StoredCheckpoint storage stored = _checkpoints[logId][index];
        stored.meta = uint256(treeSize) | (uint256(timestamp) << 64) | (uint256(block.number) << 128);
        stored.root = root;
        // Not frozen (checked), so the new state is the signer, the new size and count.
        _logs[logId] = (state & _SIGNER_MASK) | (uint256(treeSize) << 160) | ((index + 1) << 224);
        emit CheckpointAnchored(logId, index, treeSize, root, timestamp);
    }

    // ----------------------------------------------------------------- views

    /// @notice The digest a log's checkpoint signer signs (as a raw hash, no prefix) to let
    /// (`treeSize`, `root`) be anchored for `logId` on this registry of this chain.
    /// @dev keccak256(abi.encode(CHECKPOINT_TAG, chainid, registry, logId, treeSize, root)):
    /// the chain id and registry address keep a signature from being replayed elsewhere.
    /// @param logId The log.
    /// @param treeSize The tree size.
    /// @param root The Merkle tree head of the first `treeSize` leaves.
    /// @return The 32-byte digest.
    function checkpointDigest(bytes32 logId, uint64 treeSize, bytes32 root)
        public
        view
        returns (bytes32)
    {
        return keccak256(abi.encode(CHECKPOINT_TAG, block.chainid, address(this), logId, treeSize, root));
    }

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
        return MerkleProofs.verifyInclusion(leafIndex, cp.treeSize, leafHash, cp.root, proof);
    }

    /// @notice The most recent checkpoint of `logId`; all fields zero if none was anchored yet.
    /// @param logId A registered log.
    /// @return The latest checkpoint.
    function latestCheckpoint(bytes32 logId) external view returns (Checkpoint memory) {
        uint256 count = _count(_requireRegistered(logId));
        if (count == 0) return Checkpoint(0, bytes32(0), 0, 0);
        return _loadCheckpoint(logId, count - 1);
    }

    /// @notice Checkpoint number `index` (0-based, in anchoring order) of `logId`.
    /// @param logId A registered log.
    /// @param index Index below checkpointCount(logId).
    /// @return The checkpoint.
    function checkpointAt(bytes32 logId, uint256 index) public view returns (Checkpoint memory) {
        uint256 count = _count(_requireRegistered(logId));
        if (index >= count) revert CheckpointOutOfRange(logId, index, count);
        return _loadCheckpoint(logId, index);
    }

    /// @notice Number of checkpoints anchored for `logId`.
    /// @param logId A registered log.
    /// @return The count.
    function checkpointCount(bytes32 logId) external view returns (uint256) {
        return _count(_requireRegistered(logId));
    }

    /// @notice The checkpoint signer of `logId`: the address its checkpoint key recovers to.
    /// @param logId A registered log.
    /// @return The signer's address.
    function checkpointSigner(bytes32 logId) external view returns (address) {
        return address(uint160(_requireRegistered(logId)));
    }

    /// @notice Whether `logId` is frozen and, if so, its last good checkpoint index.
    /// @param logId A registered log.
    /// @return frozen True once freezeLog was called for it.
    /// @return lastGoodIndex Its last trusted checkpoint index (0 while not frozen;
    /// NO_GOOD_CHECKPOINT if none is trusted).
    function frozenState(bytes32 logId) external view returns (bool frozen, uint256 lastGoodIndex) {
        frozen = _requireRegistered(logId) & _FROZEN != 0;
        lastGoodIndex = _lastGood[logId];
    }

    /// @notice The log `logId` continues, if it is a successor, and where it starts.
    /// @param logId A registered log.
    /// @return predecessor The frozen log it continues (zero if it is not a successor).
    /// @return startSize Size of the predecessor's last good checkpoint (0 if none).
    /// @return startRoot Root of that checkpoint (zero if none).
    function predecessorOf(bytes32 logId)
        external
        view
        returns (bytes32 predecessor, uint64 startSize, bytes32 startRoot)
    {
        _requireRegistered(logId);
        Link storage link = _links[logId];
        return (link.predecessor, link.startSize, link.startRoot);
    }

    /// @notice The successor registered for the frozen log `logId` (zero if none).
    /// @param logId A registered log.
    /// @return The successor's log id.
    function successorOf(bytes32 logId) external view returns (bytes32) {
        _requireRegistered(logId);
        return _successors[logId];
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

    function _register(bytes32 logId, address signer, uint64 startSize, address[] calldata anchorers)
        private
    {
        if (logId == bytes32(0)) revert ZeroLogId();
        if (_logs[logId] != 0) revert LogAlreadyRegistered(logId);
        if (signer == address(0)) revert ZeroSigner(logId);
        _logs[logId] = uint160(signer) | (uint256(startSize) << 160);
        emit LogRegistered(logId, msg.sender, signer);
        for (uint256 i = 0; i < anchorers.length; ++i) {
            _grantAnchorer(logId, anchorers[i]);
        }
    }

    /// @dev The log's state, once the log is known and not frozen, the sender is one of its
    /// anchorers and the log's signer signed (`logId`, `treeSize`, `root`).
    function _authorise(bytes32 logId, uint64 treeSize, bytes32 root, bytes32 r, bytes32 yParityAndS)
        private
        view
        returns (uint256 state)
    {
        state = _logs[logId];
        if (state == 0) revert UnknownLog(logId);
        if (state & _FROZEN != 0) revert LogIsFrozen(logId, _lastGood[logId]);
        if (!_anchorers[logId][msg.sender]) revert NotAnchorer(logId, msg.sender);
        address signer = address(uint160(state));
        address recovered = _recover(checkpointDigest(logId, treeSize, root), r, yParityAndS);
        if (recovered != signer) {
            revert CheckpointNotSignedByLog(logId, treeSize, root, recovered, signer);
        }
    }

    /// @dev The root the next checkpoint must extend: the latest one, or for a successor's
    /// first checkpoint the one it was registered to continue.
    function _previousRoot(bytes32 logId, uint256 count) private view returns (bytes32) {
        return count == 0 ? _links[logId].startRoot : _checkpoints[logId][count - 1].root;
    }

    function _requireRegistered(bytes32 logId) private view returns (uint256 state) {
        state = _logs[logId];
        if (state == 0) revert UnknownLog(logId);
    }

    function _count(uint256 state) private pure returns (uint256) {
        return (state >> 224) & _COUNT_MASK;
    }

    function _grantAnchorer(bytes32 logId, address account) private {
        if (account == address(0)) revert ZeroAnchorer(logId);
        if (!_anchorers[logId][account]) {
            _anchorers[logId][account] = true;
            emit AnchorerGranted(logId, account, msg.sender);
        }
    }

    /// @dev ecrecover of an EIP-2098 compact signature; the zero address if it is invalid
    /// (never a registered signer). A high-s twin of a signature recovers too: harmless here,
    /// as the digest binds everything anchored and a checkpoint is anchored only once.
    function _recover(bytes32 digest, bytes32 r, bytes32 yParityAndS) private pure returns (address) {
        uint8 v = uint8(uint256(yParityAndS) >> 255) + 27;
        return ecrecover(digest, v, r, bytes32(uint256(yParityAndS) & _S_MASK));
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
}
