//! Disjoint sets with union by size and path halving, the core of graph segmentation.
//! Written here because the segmentation needs each set's size and threshold beside it.

/// A forest of disjoint sets over `0..n`.
#[derive(Debug, Clone)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    /// `n` singleton sets.
    pub fn new(n: usize) -> Self {
        UnionFind { parent: (0..n as u32).collect(), size: vec![1; n] }
    }

    /// The representative of `x`'s set.
    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grand = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grand;
            x = grand;
        }
        x
    }

    /// Joins the sets of representatives `a` and `b`; returns the new representative.
    pub fn join(&mut self, a: u32, b: u32) -> u32 {
        let (big, small) = if self.size[a as usize] >= self.size[b as usize] { (a, b) } else { (b, a) };
        self.parent[small as usize] = big;
        self.size[big as usize] += self.size[small as usize];
        big
    }

    /// The size of the set whose representative is `root`.
    pub fn size(&self, root: u32) -> u32 {
        self.size[root as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_track_sizes() {
        let mut u = UnionFind::new(5);
        let r = u.join(0, 1);
        let three = u.find(3);
        let r2 = u.join(three, r);
        assert_eq!(u.find(1), u.find(3));
        assert_eq!(u.size(r2), 3);
        assert_ne!(u.find(2), u.find(0));
    }
}
